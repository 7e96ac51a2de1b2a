from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """Everyone starts at the organization tree until the role dashboards arrive."""
    return redirect("organizations:tree")
