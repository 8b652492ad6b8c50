from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The assessment workspace: the form with evidence, suggestions and returns, results, history; no models.

    It sits above every feature app and brings them together for one assessment: pages, API
    endpoints and the services that orchestrate a step across apps (a rating with the
    suggestions it must honour, a finalization that opens the rectification plan).
    """

    name = "workspace"
    verbose_name = _("评审工作台")
