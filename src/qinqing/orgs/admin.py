from django.contrib import admin

from qinqing.orgs.models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = [
        "name",
        "short_name",
        "kind",
        "division_code",
        "parent",
        "coordinates_parent",
        "is_active",
    ]
    list_filter = ["kind", "tier", "is_active"]
    search_fields = ["name", "short_name", "division_code"]
    ordering = ["path"]
