"""Django settings: everything comes from environment variables (see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from qinqing.env import env_bool, env_int, env_list, env_str, generated_secret

django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env_str("QINQING_HOME", str(PACKAGE_DIR.parent.parent))).resolve()
VAR_DIR = Path(env_str("QINQING_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEMO = env_bool("QINQING_DEMO", False)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or generated_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if (DEBUG or DEMO) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "qinqing.core",
    "qinqing.orgs",
    "qinqing.accounts",
    "qinqing.enterprises",
    "qinqing.calendar",
    "qinqing.audit",
    "qinqing.demands",
    "qinqing.investment",
    "qinqing.liaison",
    "qinqing.analysis",
    "qinqing.promotion",
    "qinqing.portal",
    "qinqing.chambers",
    "qinqing.surveys",
    "qinqing.evaluation",
    "qinqing.kpi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qinqing.core.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qinqing.core.middleware.RequestContextMiddleware",
    "qinqing.core.nul.NulGuardMiddleware",  # 400 for NUL in query strings, form fields, JSON bodies
    "qinqing.kpi.prom.MetricsMiddleware",  # Prometheus request counts and latencies per view
    "qinqing.portal.hosts.PortalHostMiddleware",  # PORTAL_HOST: the portal's own host name and URLconf
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qinqing.core.middleware.AnonymousRateLimitMiddleware",
    "qinqing.accounts.middleware.IdleTimeoutMiddleware",
    "qinqing.accounts.middleware.SecondFactorMiddleware",
    "qinqing.accounts.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "qinqing.urls"
WSGI_APPLICATION = "qinqing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qinqing.core.context_processors.navigation",
            ],
        },
    }
]

# --- Database: SQLite under var/ by default, PostgreSQL through DATABASE_URL -------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'qinqing.sqlite3'}"
# Health checks: a connection kept across requests (CONN_MAX_AGE) is tested before reuse, so a restart of
# PostgreSQL costs no request or task an error (tests/hardening/faults.sh).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("QINQING_TEST_SQLITE", "") or None}
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # psycopg 3 binds parameters on the server and prepares a statement once it ran 5 times on a
    # connection: PostgreSQL skips parsing and planning it. Needs session-level connections (not a
    # transaction-pooling pgbouncer).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
# A streaming replica (DATABASE_REPLICA_URL): lag-tolerant reads go there, see qinqing/core/replica.py.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 5)
DATABASE_REPLICA_CHECK_SECONDS = 1
# Read-your-writes across requests: at least max lag + check interval (+ margin), see docs/deploy.md.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", DATABASE_REPLICA_MAX_LAG_SECONDS + 5)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["OPTIONS"].setdefault("options", "-c jit=off")  # as demands.paging.without_jit
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read the test database through it
    DATABASE_ROUTERS = ["qinqing.core.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "qinqing.core.replica.ReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process killed mid-task: its message goes back to the queue (jobs are idempotent, see core.jobs).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Accounts and security -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's model backend, loading the session's user with its unit and roles in one statement
AUTHENTICATION_BACKENDS = ["qinqing.accounts.authentication.UserBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "qinqing.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 8)},
    },
    {
        "NAME": "qinqing.accounts.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": env_int("PASSWORD_MIN_CLASSES", 3)},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOCKOUT_FAILURES = env_int("LOCKOUT_FAILURES", 5)
LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 30)
LOCKOUT_ADDRESS_FAILURES = env_int("LOCKOUT_ADDRESS_FAILURES", 20)
IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 30)
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90)
ADMIN_TOTP_REQUIRED = env_bool("ADMIN_TOTP_REQUIRED", not DEMO)
# Sensitive actions (role grants, unmasking, exports) need the password confirmed this recently.
REAUTH_MINUTES = env_int("REAUTH_MINUTES", 15)
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)

SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the template (hx-headers, forms), never from JS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if (DEBUG or DEMO) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The browser preload list is for public internet domains; a government intranet host cannot be on it,
# so its absence is not a finding unless the operator opts in with SECURE_HSTS_PRELOAD=1.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# X-Forwarded-For is read only from these addresses/networks (the reverse proxy), see core.middleware.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)  # limits per scope: core.ratelimit

# --- Public portal (qinqing.portal, docs/portal.md) -------------------------------------------
# Its own host name (e.g. invest.urumqi.gov.cn): that host gets PORTAL_URLCONF (public paths only), the
# staff host redirects the public paths there (qinqing.portal.hosts). Unset: one host serves everything.
PORTAL_HOST = env_str("PORTAL_HOST").strip().lower()
PORTAL_URLCONF = "qinqing.urls_portal"
if PORTAL_HOST and "*" not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(PORTAL_HOST.split(":")[0])
# The optional SMS-code check on inquiries (对接洽谈) and the sender of the codes (qinqing.portal.sms).
PORTAL_SMS_CHECK = env_bool("PORTAL_SMS_CHECK", False)
PORTAL_SMS_SENDER = env_str("PORTAL_SMS_SENDER", "qinqing.portal.sms.LogSender")

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or DEMO
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO
# Uploaded files live outside the web root and are served only through permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qinqing@localhost")

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a request that presents a bad Bearer token answers 401 (see ApiTokenAuthentication).
        "qinqing.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "qinqing.core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qinqing.core.api.exception_handler",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["qinqing.core.ratelimit.ApiRateThrottle"],  # per token; RATE_LIMITS
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qinqing API",
    "DESCRIPTION": "亲清 — 招商引资与营商环境平台 REST API (v1)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qinqing.core.schema.add_throttled_responses",
    ],
    # Choice sets whose field names repeat across apps get explicit, stable component names.
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "qinqing.orgs.models.Tier",
        "EnterpriseStatusEnum": "qinqing.enterprises.models.EnterpriseStatus",
        "DemandStatusEnum": "qinqing.demands.models.Status",
        "DemandOutcomeEnum": "qinqing.demands.models.Outcome",
        "OutboxStatusEnum": "qinqing.demands.models.OutboxStatus",
        "ReportStatusEnum": "qinqing.investment.models.ReportStatus",
        "PublishStatusEnum": "qinqing.investment.models.PublishStatus",
        "InvestmentSourceEnum": "qinqing.investment.models.Source",
        "CalendarSourceEnum": "qinqing.calendar.models.Source",
        "ProposalStatusEnum": "qinqing.liaison.models.ProposalStatus",
        "EnterpriseScaleEnum": "qinqing.enterprises.models.Scale",
        "InquiryStatusEnum": "qinqing.portal.models.InquiryStatus",
        "ChambersOrgKindEnum": "qinqing.chambers.rules.OrgKind",
        "ChambersApplicationKindEnum": "qinqing.chambers.rules.AppKind",
        "ChambersCertificateStatusEnum": "qinqing.chambers.rules.CertStatus",
    },
}

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "qinqing.kpi.logs.JsonFormatter"},  # one JSON object a line, with the request id
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "plain" if (DEBUG or DEMO) else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
