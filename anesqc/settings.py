"""Settings for anesqc, read from the environment (12-factor).

Embedded defaults (SQLite, no Redis) make `make run` work on a bare machine;
production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
Bad values fail loudly at start-up rather than at first use.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by nobody but the operator) is honoured, never required.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean variable; anything but the usual spellings is refused rather than read as false."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off).")


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=true for a local development server)."
        )
    # Development only: DEBUG=true and no key given.
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    # Django's own deployment check (security.W009) only warns; a guessable key signs sessions and tokens.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: use at least 50 random characters, e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "common",
    "accounts",
    "audit",
    "scoring",
    "evidence",
    "rectification",
    "rounds",
    "indicators",
    "departments",
    "reports",
    "workspace",
    "notifications",
]

MIDDLEWARE = [
    "audit.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.csp.ContentSecurityPolicyMiddleware",
    "common.media.XAccelRedirectMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.pwa.OfflineUserMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "common.middleware.HtmxSessionExpiredMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "anesqc.urls"

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
                "accounts.context_processors.sign_in",
            ],
        },
    },
]

WSGI_APPLICATION = "anesqc.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two writers that both began by reading (two finalizes at once) would make SQLite refuse one at once
    # ("database is locked", a 500). IMMEDIATE takes the write lock at BEGIN, so the second waits its turn
    # (up to the timeout) and then meets the first one's result: a 409, not a crash.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is checked (README "Security").
    "axes.backends.AxesStandaloneBackend",
    # Then the per-account limit across addresses (accounts/backends.py).
    "accounts.backends.AccountLockoutBackend",
    # qc_admin accounts hold every model permission without per-permission grants.
    "accounts.backends.RoleBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MinimumVarietyValidator", "OPTIONS": {"min_distinct": 5}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# No MEDIA_URL: uploaded files are never served as such, only through the permission-checked views.
# With nginx in front, MEDIA_X_ACCEL_REDIRECT_PREFIX (e.g. /protected-media/, an `internal` location
# aliased to MEDIA_ROOT) lets nginx send the file once the view has allowed it (anesqc/media.py).
MEDIA_X_ACCEL_REDIRECT_PREFIX = env.str("MEDIA_X_ACCEL_REDIRECT_PREFIX", default="")
if MEDIA_X_ACCEL_REDIRECT_PREFIX and not (
    MEDIA_X_ACCEL_REDIRECT_PREFIX.startswith("/") and MEDIA_X_ACCEL_REDIRECT_PREFIX.endswith("/")
):
    raise ImproperlyConfigured(
        f"MEDIA_X_ACCEL_REDIRECT_PREFIX={MEDIA_X_ACCEL_REDIRECT_PREFIX!r} must start and end with '/'."
    )

# Media on the local disk (default) or in an S3-compatible object store (MinIO, Ceph, a cloud's OSS/COS),
# so that several web and worker machines share one store. Static files are compressed by whitenoise
# and served by the web process itself. Their names carry no hash: the PDF renderer reads them by name.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
_media_storage: dict[str, object]
if MEDIA_STORAGE == "filesystem":
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    if not env.str("S3_BUCKET", default=""):
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET (and usually S3_ENDPOINT_URL and keys).")
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
            # Objects stay private and are never overwritten; the app streams them after its own checks.
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE={MEDIA_STORAGE!r} is neither 'filesystem' nor 's3'.")
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# Evidence uploads: the largest single file accepted (bytes; default 20 MiB).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
if EVIDENCE_MAX_BYTES <= 0:
    raise ImproperlyConfigured(f"EVIDENCE_MAX_BYTES={EVIDENCE_MAX_BYTES} must be a positive number of bytes.")
# Uploaded files above this size are spooled to a temporary file rather than held in memory;
# the form fields of a request (files excluded) may not exceed the other limit.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB

# Security (README "Security"). Over HTTPS whenever DEBUG is off: HTTP is redirected, cookies are
# Secure, and HSTS is sent. The test suite and `make bench` speak plain HTTP to a local server and
# turn the redirect off (tests/conftest.py; SECURE_SSL_REDIRECT=false).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    # Only behind a proxy that sets X-Forwarded-Proto itself (otherwise clients could claim HTTPS).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # views that may be framed (PDF previews) say SAMEORIGIN; the CSP follows
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: forms carry the token and htmx sends it from hx-headers.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Behind N reverse proxies that append to X-Forwarded-For, the client is the N-th address from the
# right (anesqc/proxy.py); 0 trusts no header and takes the connection's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} must be 0 or more.")

# Sessions end after 30 minutes without a request, and at the latest 12 hours after sign-in whatever
# the activity (accounts/middleware.py, which also pushes the stored expiry on, at most once a minute
# rather than with a write at every request), and when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
if not 60 <= SESSION_COOKIE_AGE <= SESSION_ABSOLUTE_TIMEOUT:
    raise ImproperlyConfigured(
        f"SESSION_IDLE_TIMEOUT={SESSION_COOKIE_AGE} must be at least 60 seconds and at most "
        f"SESSION_ABSOLUTE_TIMEOUT={SESSION_ABSOLUTE_TIMEOUT}."
    )

# qc_admin and inspector passwords must be changed every PASSWORD_MAX_AGE_DAYS days (MLPS practice,
# a deliberate deviation from ASVS; README "Security"); 0 turns it off.
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
# API tokens live this long; a password change, enrolling an authenticator, a policy that makes the second
# factor mandatory and deactivation end them sooner (accounts/api/auth.py).
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(f"API_TOKEN_TTL_HOURS={API_TOKEN_TTL_HOURS} must be at least 1.")

# Lockout (django-axes): LOGIN_FAILURE_LIMIT failures for one account from one address lock that pair
# out for LOGIN_LOCKOUT_MINUTES, on the sign-in page, the admin's and the API's token endpoint alike.
# Every failure and lockout is logged and kept (admin: 访问尝试/访问失败); a qc_admin unlocks early.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
# And per account, from any address: a longer window, a higher count (accounts/backends.py).
ACCOUNT_FAILURE_LIMIT = env.int("ACCOUNT_FAILURE_LIMIT", default=20)
ACCOUNT_LOCKOUT_HOURS = env.int("ACCOUNT_LOCKOUT_HOURS", default=24)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it: the account opens again at the announced time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "common.proxy.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_ENABLE_ADMIN = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "otp"]
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() <= 0:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be positive.")

# Second factor (django-otp, TOTP): optional for qc_admin and inspector accounts, mandatory for them
# once a qc_admin sets 安全策略 → 强制两步验证 in the admin.
OTP_TOTP_ISSUER = "anesqc"

# Content-Security-Policy (django-csp): no inline script or style, no eval; everything from this origin.
# Images may be data: URIs (Pico's icons, the TOTP QR code); PDFs preview in <object>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [SELF],
        "frame-src": [SELF],
        # The service worker (/sw.js) and the web app manifest, for work offline on site.
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so anonymous API calls answer 401 with a WWW-Authenticate header.
        "accounts.api.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Visitors who are not signed in, and the token endpoint (per address), are throttled: 429 beyond the rate.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANONYMOUS", default="60/minute"),
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
    },
    # JSON through orjson (common/renderers.py): the same bytes as DRF's own renderer, faster. The browsable API as before.
    "DEFAULT_RENDERER_CLASSES": [
        "common.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.DecimalJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "anesqc API",
    "DESCRIPTION": "重庆市麻醉医疗质量控制评分系统 REST API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed package, never from a CDN (hospital networks are often closed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: Redis in production; without REDIS_URL, a server-less filesystem broker
# so the embedded default still runs tasks asynchronously.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    # One cache for every process (API throttles, the audit log's limit on anonymous refusals); without
    # Redis each process keeps its own (LocMemCache, Django's default).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
    }
    # The filesystem transport cannot publish into a folder that does not exist yet (a report requested
    # from `manage.py shell` before any worker ran): make its folders now, whoever starts first.
    for _folder in ("queue", "processed"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A request must not hang when the broker is down: give up publishing after about a second
# (the job row stays pending and the sweep queues it again once the broker is back).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")

# Reports: a render is killed after REPORT_TIME_LIMIT seconds (a soft limit at 80% lets it fail cleanly).
# The limit must stay below the broker's visibility timeout, or Redis would hand a task that is still
# running to a second worker. A claim on a job lasts as long as the hard limit and a margin, so a
# claim that has run out belongs to a render that cannot still be running.
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=300)
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
# A job still pending this many seconds after it was last queued is queued again by the sweep.
REPORT_REQUEUE_AFTER = env.int("REPORT_REQUEUE_AFTER", default=300)
REPORT_SWEEP_EVERY = env.int("REPORT_SWEEP_EVERY", default=60)
_visibility = int(str(CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)))
if not 10 <= REPORT_TIME_LIMIT < _visibility:
    raise ImproperlyConfigured(
        f"REPORT_TIME_LIMIT={REPORT_TIME_LIMIT} must be at least 10 seconds and below the broker's "
        f"visibility timeout ({_visibility} s)."
    )
if REPORT_MAX_ATTEMPTS < 1 or REPORT_REQUEUE_AFTER < 1 or REPORT_SWEEP_EVERY < 1:
    raise ImproperlyConfigured("REPORT_MAX_ATTEMPTS, REPORT_REQUEUE_AFTER and REPORT_SWEEP_EVERY must be positive.")

# Case imports: a file of at most CASE_IMPORT_INLINE_BYTES is imported inside its upload request; a
# larger one is stored and imported by a worker (indicators.tasks.run_case_import), which is killed
# after CASE_IMPORT_TIME_LIMIT seconds (soft limit at 80%). Like REPORT_TIME_LIMIT, the limit must stay
# below the broker's visibility timeout, and a claim on an import lasts that long plus a margin.
CASE_IMPORT_INLINE_BYTES = env.int("CASE_IMPORT_INLINE_BYTES", default=2 * 1024 * 1024)
CASE_IMPORT_TIME_LIMIT = env.int("CASE_IMPORT_TIME_LIMIT", default=1800)
if CASE_IMPORT_INLINE_BYTES < 0:
    raise ImproperlyConfigured(f"CASE_IMPORT_INLINE_BYTES={CASE_IMPORT_INLINE_BYTES} must not be negative.")
if not 10 <= CASE_IMPORT_TIME_LIMIT < _visibility:
    raise ImproperlyConfigured(
        f"CASE_IMPORT_TIME_LIMIT={CASE_IMPORT_TIME_LIMIT} must be at least 10 seconds and below the broker's "
        f"visibility timeout ({_visibility} s)."
    )
# E-mail (notifications): EMAIL_URL in django-environ's form, e.g. smtp+tls://user:password@smtp.example.cn:587
# (SMTP with STARTTLS) or smtp+ssl://…:465. Unset, mails are written to the console (the worker's log under
# `make run`). Tests send through a real SMTP server of their own (tests/notifications).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="anesqc <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address of the site as people reach it: links in e-mails are made absolute with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
NOTIFICATION_MAIL_LANGUAGE = "zh-hans"
# A mail the SMTP server refused or could not take is tried again (backoff doubling from MAIL_RETRY_BACKOFF s).
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_RETRY_BACKOFF = env.int("MAIL_RETRY_BACKOFF", default=30)
if MAIL_MAX_ATTEMPTS < 1 or MAIL_RETRY_BACKOFF < 1:
    raise ImproperlyConfigured("MAIL_MAX_ATTEMPTS and MAIL_RETRY_BACKOFF must be at least 1.")

CELERY_BEAT_SCHEDULE = {
    "reports-sweep": {"task": "reports.tasks.sweep_reports", "schedule": float(REPORT_SWEEP_EVERY)},
    # Case imports that never reached the broker, or whose worker was lost, are queued again.
    "case-imports-sweep": {"task": "indicators.tasks.sweep_case_imports", "schedule": 60.0},
    # Mails due for another try, or never handed to the broker, are queued again.
    "mail-sweep": {"task": "notifications.tasks.sweep_mail", "schedule": 60.0},
    # Deadlines (rounds' self-assessment and inspection dates, rectification due dates), once a day.
    "deadline-reminders": {"task": "notifications.tasks.send_reminders", "schedule": crontab(hour=7, minute=30)},
    "daily-digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=8, minute=0)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # User input reaches log lines (an attempted username, a path): no record may contain a line break.
    "filters": {"escape_control": {"()": "common.logfilters.EscapeControlCharacters"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["escape_control"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO, and fontTools every subset; keep their warnings only.
    "loggers": {
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes announces its mode at every start; its failures and lockouts stay (WARNING).
        "axes.apps": {"level": "WARNING"},
        # pikepdf announces its logging bridge at import.
        "pikepdf": {"level": "WARNING"},
    },
}
