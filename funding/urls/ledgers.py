"""Pages of funding: an organization's ledger for a year, the forms of its records, spending vouchers, (views/ledgers.py)."""

from django.urls import path

from ..views import ledgers as views

urlpatterns = [
    path("orgs/<int:pk>/", views.LedgerView.as_view(), name="ledger"),
    path("orgs/<int:pk>/allocations/new/", views.AllocationCreateView.as_view(), name="allocation_create"),
    path("orgs/<int:pk>/expenditures/new/", views.ExpenditureCreateView.as_view(), name="expenditure_create"),
    path("allocations/<int:pk>/edit/", views.AllocationUpdateView.as_view(), name="allocation_update"),
    path("allocations/<int:pk>/delete/", views.AllocationDeleteView.as_view(), name="allocation_delete"),
    path("allocations/<int:pk>/disburse/", views.DisbursementCreateView.as_view(), name="disbursement_create"),
    path("disbursements/<int:pk>/edit/", views.DisbursementUpdateView.as_view(), name="disbursement_update"),
    path("disbursements/<int:pk>/delete/", views.DisbursementDeleteView.as_view(), name="disbursement_delete"),
    path("expenditures/<int:pk>/edit/", views.ExpenditureUpdateView.as_view(), name="expenditure_update"),
    path("expenditures/<int:pk>/delete/", views.ExpenditureDeleteView.as_view(), name="expenditure_delete"),
    path("expenditures/files/<int:pk>/", views.ExpenditureFileView.as_view(), name="expenditure_file"),
]
