from warroom.accounts.models import AccessRole


def test_factory_builds_users_and_incidents(factory, runtime):
    bob = factory.user("bob", AccessRole.responder, teams=("engineering",))
    incident = factory.incident(bob)
    assert incident.ref == "INC-1"
