from crimac.search.models.documents import AlertDocument
from crimac.search.models.records import RateWindow, SearchRecord

__all__ = ["AlertDocument", "RateWindow", "SearchRecord"]
