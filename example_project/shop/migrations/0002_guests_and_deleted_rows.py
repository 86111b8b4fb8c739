# Guest checkouts, deleted accounts and deleted products: purchases keep their
# rows when their client is deleted (or never was), items when their product is.

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


def fill(apps, schema_editor):
    """The new columns of rows seeded before them: skus from ids, billing names from clients."""
    Client = apps.get_model("shop", "Client")
    Product = apps.get_model("shop", "Product")
    Purchase = apps.get_model("shop", "Purchase")
    PurchaseItem = apps.get_model("shop", "PurchaseItem")
    db = schema_editor.connection.alias
    for product in Product.objects.using(db).only("pk"):
        Product.objects.using(db).filter(pk=product.pk).update(sku=f"SKU-{product.pk:05d}")
    PurchaseItem.objects.using(db).update(
        sku=models.Subquery(
            Product.objects.using(db).filter(pk=models.OuterRef("product_id")).values("sku")[:1]
        )
    )
    client = Client.objects.using(db).filter(pk=models.OuterRef("client_id"))
    Purchase.objects.using(db).update(
        billing_first_name=models.Subquery(client.values("first_name")[:1]),
        billing_last_name=models.Subquery(client.values("family_name")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('shop', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='purchase',
            name='client',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='purchases', to='shop.client'),
        ),
        migrations.AlterField(
            model_name='purchaseitem',
            name='product',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='purchase_items', to='shop.product'),
        ),
        migrations.AddField(
            model_name='product',
            name='sku',
            field=models.CharField(default='', max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='purchase',
            name='billing_first_name',
            field=models.CharField(default='', max_length=100),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='purchase',
            name='billing_last_name',
            field=models.CharField(default='', max_length=100),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='purchaseitem',
            name='sku',
            field=models.CharField(default='', max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='product',
            name='sku',
            field=models.CharField(max_length=32, unique=True),
        ),
        migrations.AddIndex(
            model_name='purchase',
            index=models.Index(django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('checkout_email')), models.F('id'), condition=models.Q(('client__isnull', True)), name='shop_purchase_guest_email'),
        ),
    ]
