"""Load the bundled LGD geography and land borders, and the two national bodies every
installation has (MHA, with NCRB under it, which runs the centre)."""

from django.db import migrations


def load(apps, schema_editor):
    from crimac.directory.lgd import load_bundled

    State = apps.get_model("directory", "State")
    if State.objects.exists():
        return
    load_bundled(
        State,
        apps.get_model("directory", "District"),
        apps.get_model("directory", "StateBorder"),
        apps.get_model("directory", "ForeignBorder"),
    )
    Agency = apps.get_model("directory", "Agency")
    mha = Agency.objects.create(code="MHA", name="Ministry of Home Affairs", kind="national_body")
    mha.path = f"/{mha.pk}/"
    mha.save(update_fields=["path"])
    ncrb = Agency.objects.create(
        code="NCRB", name="National Crime Records Bureau", kind="national_body", parent=mha, depth=1
    )
    ncrb.path = f"{mha.path}{ncrb.pk}/"
    ncrb.save(update_fields=["path"])


def unload(apps, schema_editor):
    for name in ["Agency", "ForeignBorder", "StateBorder", "District", "State"]:
        apps.get_model("directory", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
