from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SavedAudit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField()),
                (
                    "ok",
                    models.BooleanField(
                        help_text="No system check error and no required rule broken."
                    ),
                ),
                ("report", models.JSONField()),
            ],
            options={
                "verbose_name": "saved audit",
                "ordering": ("-started_at", "-pk"),
                "get_latest_by": ("started_at", "pk"),
            },
        ),
    ]
