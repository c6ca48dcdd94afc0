"""Minimal Django project hosting django-helpdesk for load benchmarking.

Follows the package's install docs (INSTALLED_APPS, SITE_ID, LOGIN_URL,
include('helpdesk.urls')); teams mode is switched off because pinax-teams is
an optional extra. Everything tunable comes from environment variables.
"""

import os

SCRATCH = os.environ.get("PEER_SCRATCH", "/tmp/peer")  # noqa: S108 - the scratch directory

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-only-not-secret-" + "x" * 40)
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # required by helpdesk (email links)
    "django.contrib.humanize",  # required by helpdesk templates
    "rest_framework",  # helpdesk REST API
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,  # DEBUG off -> Django wraps these in the cached loader
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "helpdesk_1m"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5433"),
        # Persistent connections, as a production deployment would use.
        "CONN_MAX_AGE": int(os.environ.get("CONN_MAX_AGE", "600")),
        "CONN_HEALTH_CHECKS": True,
    }
}

SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(SCRATCH, "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = os.path.join(SCRATCH, "media")

LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
SESSION_COOKIE_AGE = 7 * 86400

# Mail is composed (templates rendered) but never sent anywhere.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.invalid"

# --- django-helpdesk -------------------------------------------------------
HELPDESK_TEAMS_MODE_ENABLED = False  # pinax-teams is an optional extra
HELPDESK_KB_ENABLED = True
HELPDESK_API_ENABLED = True  # 2.6.x name; older releases: HELPDESK_ACTIVATE_API_ENDPOINT
HELPDESK_ACTIVATE_API_ENDPOINT = True  # harmless for 2.6.x, needed by <= 0.5/1.x
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
