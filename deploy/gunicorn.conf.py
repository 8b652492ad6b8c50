"""gunicorn settings for anesqc (Procfile, deploy/systemd/anesqc-web.service, docker-compose.yml).

Everything can be overridden on the command line or with GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Uploads of up to EVIDENCE_MAX_BYTES and Excel imports take a while on slow hospital links.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then, so that a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
# Only the local nginx may say which scheme the client used (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
errorlog = "-"
# Per-request log line with the time taken (microseconds), for the access log.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s"'
