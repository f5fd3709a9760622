"""Load the catalogue of legal sections (IPC, BNS with their correspondence, special Acts)."""

from django.db import migrations


def load(apps, schema_editor):
    from crimac.alerts.sections_data import load_catalogue

    LegalSection = apps.get_model("alerts", "LegalSection")
    if not LegalSection.objects.exists():
        load_catalogue(LegalSection)


def unload(apps, schema_editor):
    apps.get_model("alerts", "LegalSection").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
