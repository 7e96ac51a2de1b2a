from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.MemberListView.as_view(), name="list"),
    path("new/", views.MemberCreateView.as_view(), name="create"),
    path("structure/", views.MemberStructureView.as_view(), name="structure"),
    path("<int:pk>/", views.MemberDetailView.as_view(), name="detail"),
    path("<int:pk>/reveal/", views.MemberRevealView.as_view(), name="reveal"),
    path("<int:pk>/transfer/", views.MemberTransferView.as_view(), name="transfer"),
    path("<int:pk>/status/", views.MemberStatusView.as_view(), name="status"),
    path("<int:pk>/training/new/", views.TrainingCreateView.as_view(), name="training_create"),
    path("<int:pk>/points/new/", views.PointRecordCreateView.as_view(), name="point_create"),
    path("<int:pk>/flows/new/", views.FlowOpenView.as_view(), name="flow_open"),
    path("<int:pk>/flows/<int:flow_pk>/close/", views.FlowCloseView.as_view(), name="flow_close"),
    # 发展党员
    path("pipeline/", views.PipelineBoardView.as_view(), name="pipeline"),
    path("pipeline/new/", views.CandidateCreateView.as_view(), name="candidate_create"),
    path("pipeline/<int:pk>/", views.CandidateDetailView.as_view(), name="candidate_detail"),
    path("pipeline/<int:pk>/steps/", views.CandidateStepsView.as_view(), name="candidate_steps"),
    path("pipeline/<int:pk>/reports/new/", views.ThoughtReportCreateView.as_view(), name="thought_report_create"),
    # 失联党员排查
    path("lost-contact/", views.LostContactListView.as_view(), name="lost_contact"),
    path("lost-contact/<int:pk>/decide/", views.LostContactDecideView.as_view(), name="lost_contact_decide"),
    path("lost-contact/<int:pk>/resolve/", views.LostContactResolveView.as_view(), name="lost_contact_resolve"),
    # 积分项目与星级标准 (county only)
    path("points/config/", views.PointsConfigView.as_view(), name="point_items"),
    path("points/config/items/new/", views.PointItemCreateView.as_view(), name="point_item_create"),
    path("points/config/items/<int:pk>/", views.PointItemEditView.as_view(), name="point_item_edit"),
    path(
        "points/config/items/<int:pk>/deactivate/",
        views.PointItemDeactivateView.as_view(),
        name="point_item_deactivate",
    ),
    path("points/config/stars/new/", views.StarRuleCreateView.as_view(), name="star_rule_create"),
    path("points/config/stars/<int:pk>/", views.StarRuleEditView.as_view(), name="star_rule_edit"),
    # 培训覆盖
    path("training/coverage/", views.TrainingCoverageView.as_view(), name="training_coverage"),
]
