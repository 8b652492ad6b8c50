"""factory_boy factories of reports: report jobs as a request leaves them (pending, no file).

An assessment report names an assessment (a new draft one unless given); a round report names
only its round, which the test gives (`round=`), as the job's target constraint requires.
"""

import factory
from factory.django import DjangoModelFactory

from reports.models import ReportJob, ReportKind
from tests.scoring.factories import AssessmentFactory


class ReportJobFactory(DjangoModelFactory):
    class Meta:
        model = ReportJob

    kind = ReportKind.ASSESSMENT
    assessment = factory.Maybe(
        factory.LazyAttribute(lambda o: o.kind == ReportKind.ASSESSMENT),
        yes_declaration=factory.SubFactory(AssessmentFactory),
        no_declaration=None,
    )
