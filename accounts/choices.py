from django.db import models

from core.scope import Action


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "县委组织部管理员"
    TOWNSHIP_ADMIN = "township_admin", "乡镇（工委）管理员"
    BRANCH_SECRETARY = "branch_secretary", "支部书记"
    LEADER = "leader", "县领导（只读）"
    INSPECTOR = "inspector", "考核组成员"


# What each role may do inside the subtree where it is granted.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(
        {Action.VIEW, Action.CHANGE, Action.MANAGE, Action.MANAGE_ACCOUNTS, Action.VIEW_PERSONAL, Action.INSPECT}
    ),
    Role.TOWNSHIP_ADMIN: frozenset({Action.VIEW, Action.CHANGE, Action.MANAGE, Action.MANAGE_ACCOUNTS, Action.INSPECT}),
    Role.BRANCH_SECRETARY: frozenset({Action.VIEW, Action.CHANGE}),
    Role.LEADER: frozenset({Action.VIEW}),
    Role.INSPECTOR: frozenset({Action.VIEW, Action.INSPECT}),
}

# Which roles an account manager may hand out (never more than they hold themselves).
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Role.values),
    Role.TOWNSHIP_ADMIN: frozenset({Role.TOWNSHIP_ADMIN, Role.BRANCH_SECRETARY, Role.INSPECTOR}),
}
