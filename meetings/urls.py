from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    # Pages of the meetings themselves (views/meetings.py) and compliance (views/compliance.py).
    # Monthly reports and bulletins (views/reports.py).
]
