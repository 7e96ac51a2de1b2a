from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from accounts.choices import Role


@login_required
def home(request):
    """A branch secretary starts at the branch's 本月待办; everyone else at the organization tree until the role
    dashboards arrive."""
    user = request.user
    if not user.is_superuser and user.roles() == {Role.BRANCH_SECRETARY}:
        return redirect("meetings:my")
    return redirect("organizations:tree")
