from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(User)
class AccountAdmin(UserAdmin):
    inlines = [RoleGrantInline]
    list_display = ["username", "full_name", "is_active", "is_superuser", "last_login"]
