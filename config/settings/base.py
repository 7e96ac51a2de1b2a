"""Settings shared by every environment. Values that differ come from the environment (see config/env.py)."""

from celery.schedules import crontab

from config.env import BASE_DIR, env

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "core",
    "accounts",
    "organizations",
    "members",
    "meetings",
    "assessments",
    "funding",
    "supervision",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
]
# Scripts, styles, fonts and images only from this server (county intranets have no internet, and an injected
# script has nowhere to load from or send to); no inline script: pages mark elements with data-* attributes and the
# static JS does the rest. Inline style attributes stay allowed: ECharts and htmx set styles on elements.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The model backend, refusing a locked-out account and address (accounts/security.py).
AUTHENTICATION_BACKENDS = ["accounts.security.LockoutBackend"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections where a server runs many requests (production sets 60 s; the load benchmark sets it too).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers (progress polling) proceed while an import writes. A 64 MiB page cache (the default is 2 MiB)
    # keeps the indexes of a 100k-row import in memory instead of re-reading their pages for every random key.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
            "timeout": 20,
            # Writers take the database lock when their transaction begins, not at their first write: a service
            # that reads sums and then writes (funding's 专款专用 rule) waits for a concurrent writer instead of
            # failing with "database is locked", as SELECT … FOR UPDATE makes it wait on PostgreSQL.
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:home"  # each role lands on its own page (see dashboards.views.home)
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.validators.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "accounts.validators.CommonPasswordValidator"},
    {"NAME": "accounts.validators.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassesValidator", "OPTIONS": {"classes": 3}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Audit events are kept this many days in the table (at least 180: core/archive.py), then archived to files.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
AUDIT_ARCHIVE_DIR = env.str("AUDIT_ARCHIVE_DIR", default="")

# Import limits: a county's largest sheet is a few tens of thousands of rows; a province's org tree 140k.
XLSX_MAX_BYTES = env.int("XLSX_MAX_BYTES", default=20 * 1024 * 1024)
XLSX_MAX_ROWS = env.int("XLSX_MAX_ROWS", default=200_000)
XLSX_MAX_UNCOMPRESSED_BYTES = env.int("XLSX_MAX_UNCOMPRESSED_BYTES", default=400 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Key for personal data (citizen ID, phone): encryption at rest and the keyed lookup hash.
# Production must set it; elsewhere it is derived from SECRET_KEY (see core.crypto).
PERSONAL_DATA_KEY = env("PERSONAL_DATA_KEY", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "基层党建工作管理平台 API",
    "DESCRIPTION": "组织、职务等数据接口；所有接口按账号的组织范围过滤。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several choice sets are served under a field named `status`: each gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "members.choices.MemberStatus",
        "LostContactStatusEnum": "members.choices.LostContactStatus",
        # `kind` and `status` of meetings.api beside the organizations' `kind`
        "OrgKindEnum": "organizations.choices.OrgKind",
        "MeetingKindEnum": "meetings.choices.MeetingKind",
        "AttendanceStatusEnum": "meetings.choices.AttendanceStatus",
        # supervision.api beside members' `category` and the others' `status`
        "FindingSourceEnum": "supervision.choices.FindingSource",
        "FindingCategoryEnum": "supervision.choices.FindingCategory",
        "SeverityEnum": "supervision.choices.Severity",
        "FindingStatusEnum": "supervision.choices.FindingStatus",
        "FindingStepEnum": "supervision.choices.FindingStep",
        "MemberCategoryEnum": "members.choices.MemberCategory",
        "DispatchRoleEnum": "supervision.choices.DispatchRole",
    },
}

# Celery: without a broker, tasks run in-process (eager) so `make run` needs nothing but Python.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The beat schedule lives here and only here; later capabilities add their jobs.
CELERY_BEAT_SCHEDULE: dict = {
    "members-lost-contact-scan": {
        "task": "members.tasks.lost_contact_scan",
        "schedule": crontab(minute=30, hour=2, day_of_month=1),
    },
    # 动态登记月报: the previous month's report of every branch, on the 1st (Asia/Shanghai).
    "meetings-monthly-report": {
        "task": "meetings.tasks.monthly_report_run",
        "schedule": crontab(minute=0, hour=3, day_of_month=1),
    },
    # 形式主义检查: the nightly data-quality checks, whose new faults go on the findings list.
    # 审计归档: events older than AUDIT_RETENTION_DAYS into a file (core/archive.py), on the 2nd of each month.
    "core-audit-archive": {
        "task": "core.tasks.audit_archive_run",
        "schedule": crontab(minute=0, hour=4, day_of_month=2),
    },
    "supervision-formalism-checks": {
        "task": "supervision.tasks.formalism_checks_run",
        "schedule": crontab(minute=30, hour=1),
    },
}

# The nightly formalism checks: texts at least this similar are near-duplicates; two meetings attended by the same
# person less than this many hours apart in different places overlap; back-filled meetings and missed periods are
# reported when they fall within the lookback window (days before today).
SUPERVISION_SIMILARITY_THRESHOLD = env.float("SUPERVISION_SIMILARITY_THRESHOLD", default=0.8)
SUPERVISION_MEETING_HOURS = env.float("SUPERVISION_MEETING_HOURS", default=2)
SUPERVISION_LOOKBACK_DAYS = env.int("SUPERVISION_LOOKBACK_DAYS", default=365)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 60 * 60
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
