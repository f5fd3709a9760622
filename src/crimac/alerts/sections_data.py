"""The catalogue of legal sections, with the IPC <-> BNS correspondence.

From ../shared/reference/legal_sections.md (checked against several public comparison tables);
rows marked uncertain there carry `uncertain=True`. Special Acts: the sections alerts cite most.
Each row: (code, section, title, counterpart "CODE SECTION" or "", uncertain, trafficking).
"""

from __future__ import annotations

# The trafficking sections MHA asks States to register trafficking cases under.
TRAFFICKING = {
    ("IPC", "370"),
    ("IPC", "370A"),
    ("IPC", "366A"),
    ("IPC", "366B"),
    ("IPC", "372"),
    ("IPC", "373"),
    ("BNS", "143"),
    ("BNS", "144"),
    ("BNS", "96"),
    ("BNS", "141"),
    ("BNS", "98"),
    ("BNS", "99"),
}

# (IPC section, BNS section, offence, uncertain)
CORRESPONDENCE: list[tuple[str, str, str, bool]] = [
    ("302", "103(1)", "Murder (punishment)", False),
    ("307", "109", "Attempt to murder", False),
    ("304", "105", "Culpable homicide not amounting to murder", False),
    ("304B", "80", "Dowry death", False),
    ("375", "63", "Rape (definition)", False),
    ("376", "64", "Rape (punishment)", False),
    ("376D", "70", "Gang rape", False),
    ("363", "137(2)", "Kidnapping (punishment)", False),
    ("363A", "139", "Kidnapping or maiming a child for begging", False),
    ("364", "140(1)", "Kidnapping or abducting in order to murder", False),
    ("364A", "140(2)", "Kidnapping for ransom", False),
    ("366A", "96", "Procuration of a child", False),
    ("366B", "141", "Importation of a girl or boy from abroad", False),
    ("370", "143", "Trafficking of persons", False),
    ("370A", "144", "Exploitation of a trafficked person", False),
    ("372", "98", "Selling a child for prostitution", False),
    ("373", "99", "Buying a child for prostitution", False),
    ("374", "146", "Unlawful compulsory labour", True),
    ("392", "309", "Robbery (punishment)", True),
    ("395", "310(2)", "Dacoity (punishment)", False),
    ("396", "310(3)", "Dacoity with murder", False),
    ("397", "311", "Robbery or dacoity with a deadly weapon", False),
    ("379", "303", "Theft", False),
    ("420", "318", "Cheating", False),
    ("121", "147", "Waging war against the Government of India", False),
]

BNS_ONLY: list[tuple[str, str]] = [
    ("103(2)", "Murder by a group on grounds of race, caste, community (mob murder)"),
    ("111", "Organised crime"),
    ("112", "Petty organised crime"),
    ("113", "Terrorist act"),
]

SPECIAL_ACTS: list[tuple[str, str, str]] = [
    ("ITPA", "3", "Immoral Traffic (Prevention) Act 1956: keeping a brothel"),
    ("ITPA", "4", "Immoral Traffic (Prevention) Act 1956: living on the earnings of prostitution"),
    ("ITPA", "5", "Immoral Traffic (Prevention) Act 1956: procuring or inducing a person"),
    ("ITPA", "6", "Immoral Traffic (Prevention) Act 1956: detaining a person in a brothel"),
    ("ITPA", "7", "Immoral Traffic (Prevention) Act 1956: prostitution near public places"),
    ("ITPA", "8", "Immoral Traffic (Prevention) Act 1956: seducing or soliciting"),
    ("POCSO", "4", "POCSO Act 2012: penetrative sexual assault"),
    ("POCSO", "6", "POCSO Act 2012: aggravated penetrative sexual assault"),
    ("POCSO", "8", "POCSO Act 2012: sexual assault"),
    ("POCSO", "10", "POCSO Act 2012: aggravated sexual assault"),
    ("POCSO", "12", "POCSO Act 2012: sexual harassment"),
    ("UAPA", "16", "Unlawful Activities (Prevention) Act 1967: terrorist act"),
    ("UAPA", "18", "Unlawful Activities (Prevention) Act 1967: conspiracy"),
    ("UAPA", "20", "Unlawful Activities (Prevention) Act 1967: member of a terrorist gang"),
    ("UAPA", "38", "Unlawful Activities (Prevention) Act 1967: membership of a terrorist organisation"),
    ("ARMS", "25", "Arms Act 1959: unlicensed arms"),
    ("ARMS", "27", "Arms Act 1959: using arms"),
    ("NDPS", "20", "NDPS Act 1985: cannabis"),
    ("NDPS", "21", "NDPS Act 1985: manufactured drugs"),
    ("NDPS", "22", "NDPS Act 1985: psychotropic substances"),
    ("NDPS", "29", "NDPS Act 1985: abetment and conspiracy"),
]

CODES = ("IPC", "BNS", "ITPA", "POCSO", "UAPA", "ARMS", "NDPS")
CODE_NAMES = {
    "IPC": "Indian Penal Code 1860",
    "BNS": "Bharatiya Nyaya Sanhita 2023",
    "ITPA": "Immoral Traffic (Prevention) Act 1956",
    "POCSO": "Protection of Children from Sexual Offences Act 2012",
    "UAPA": "Unlawful Activities (Prevention) Act 1967",
    "ARMS": "Arms Act 1959",
    "NDPS": "Narcotic Drugs and Psychotropic Substances Act 1985",
}


def load_catalogue(LegalSection: object) -> None:
    """Create the catalogue; takes the model so a data migration can pass its historical one."""
    model = LegalSection
    created = {}
    for ipc, bns, title, uncertain in CORRESPONDENCE:
        a = model.objects.create(  # type: ignore[attr-defined]
            code="IPC", section=ipc, title=title, trafficking=("IPC", ipc) in TRAFFICKING
        )
        b = model.objects.create(  # type: ignore[attr-defined]
            code="BNS", section=bns, title=title, trafficking=("BNS", bns) in TRAFFICKING
        )
        a.counterpart, a.counterpart_uncertain = b, uncertain
        b.counterpart, b.counterpart_uncertain = a, uncertain
        a.save()
        b.save()
        created[("IPC", ipc)] = a
    for bns, title in BNS_ONLY:
        model.objects.create(code="BNS", section=bns, title=title)  # type: ignore[attr-defined]
    for code, section, title in SPECIAL_ACTS:
        model.objects.create(code=code, section=section, title=title)  # type: ignore[attr-defined]
