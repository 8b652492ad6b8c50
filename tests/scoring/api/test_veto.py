"""The QC centre's veto flag on a criterion, through the standards API: audited with its reason, or nothing.

Who may set it (qc_admin only) is the permission contract of tests/matrix/test_url_matrix.py.
"""

from audit.models import AuditEvent
from tests.conftest import Cast


def test_qc_admin_setting_a_veto_flag_is_audited_with_the_reason(cast: Cast) -> None:
    response = cast.client("qc_admin").patch(
        "/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": True, "reason": "专家组决议"}
    )

    assert response.status_code == 200
    assert response.data["veto"] is True
    event = AuditEvent.objects.get(action="criterion.veto")
    assert (event.before, event.after, event.reason) == ({"veto": False}, {"veto": True}, "专家组决议")
    assert event.actor == cast.qc_admin


def test_setting_a_veto_flag_to_its_current_value_records_nothing(cast: Cast) -> None:
    response = cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": False})

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="criterion.veto").exists()


def test_veto_patch_of_an_unknown_criterion_answers_404_to_qc_admin(cast: Cast) -> None:
    response = cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/9.9-9/", {"veto": True})

    assert response.status_code == 404


def test_veto_patch_without_a_boolean_answers_400_naming_veto(cast: Cast) -> None:
    response = cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": "maybe"})

    assert response.status_code == 400
    assert "veto" in response.data
