"""Contact methods and notification rules: validated, permission-checked, audited; bad input writes nothing."""

from __future__ import annotations

import pydantic
import pytest

from warroom.accounts.models import AccessRole
from warroom.audit import service as audit
from warroom.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.core.outbound import OutboundPolicy
from warroom.notifications import service
from warroom.notifications.models import ContactKind
from warroom.notifications.schemas import ContactMethodIn, ContactMethodOut, RuleIn, RuleOut

from ..dns import public_dns
from .conftest import stored

# The default policy (no networks allowed beyond public ones), with names answered without DNS.
DEFAULT_POLICY = OutboundPolicy(resolver=public_dns)


@pytest.fixture
def bob(pager):
    return pager.person("bob")


def add(runtime, actor, user, kind, address, label=""):
    with runtime.database.writing() as db:
        return service.add_contact_method(db=db, actor=actor, user=user, kind=kind, address=address, label=label,
                                          outbound=DEFAULT_POLICY)


def rule(runtime, actor, user, method_id, delay):
    with runtime.database.writing() as db:
        return service.add_rule(db=db, actor=actor, user=user, contact_method_id=method_id, delay_minutes=delay)


@pytest.mark.parametrize(("kind", "given", "stored_as"), [
    ("email", " Bob@Example.COM ", "Bob@example.com"),
    ("webhook", "https://hooks.example.com/page?team=sre", "https://hooks.example.com/page?team=sre"),
    ("webhook", "http://93.184.215.14:8080/hook", "http://93.184.215.14:8080/hook"),
    ("sms", "+1 (415) 555-0123", "+14155550123"),
    ("voice", "0044 20 7946 0958", "+442079460958"),
    ("chat", "@bob", "@bob"),
    ("chat", "U012AB3CD", "U012AB3CD"),
    ("chat", "@bob:matrix.example.org", "@bob:matrix.example.org"),
    ("SMS", "+14155550123", "+14155550123"),
])
def test_addresses_are_checked_and_stored_in_the_form_they_are_sent_to(runtime, factory, bob, kind, given,
                                                                        stored_as):
    method = add(runtime, factory.actor(bob), bob, kind, given, "work")
    assert (method.kind, method.address, method.label) == (ContactKind(kind.lower()), stored_as, "work")
    with runtime.database.reading() as db:
        assert [m.id for m in service.list_contact_methods(db=db, user=bob)] == [method.id]


@pytest.mark.parametrize(("kind", "address", "says"), [
    ("email", "bob", "is not an email address"),
    ("email", "bob@localhost", "is not an email address"),
    ("email", "bob,eve@example.com", "is not an email address"),
    ("email", "", "Give the email address"),
    ("webhook", "ftp://example.com/hook", "is not a web address"),
    ("webhook", "hooks.example.com/page", "is not a web address"),
    ("webhook", "https:///no-host", "is not a web address"),
    ("webhook", "https://example.com:port/x", "invalid port"),
    ("webhook", "https://example.com/a b", "is not a web address"),
    ("webhook", "http://10.0.0.5:8080/hook", "10.0.0.5 is a private address.*WARROOM_OUTBOUND_ALLOW"),
    ("sms", "4155550123", "E.164"),
    ("sms", "+0 415 555 0123", "E.164"),
    ("voice", "+1415555012345678", "E.164"),
    ("sms", "call me", "E.164"),
    ("chat", "bob smith", "not a chat handle"),
    ("pigeon", "coop 4", "Unknown contact method 'pigeon'"),
    ("email", "x@example.com" + "m" * 1000, "at most 1000 characters"),
])
def test_bad_contact_input_is_refused_and_writes_nothing(runtime, factory, bob, kind, address, says):
    before = stored(runtime)
    with pytest.raises(ValidationFailed, match=says) as caught:
        add(runtime, factory.actor(bob), bob, kind, address)
    assert caught.value.field in ("address", "kind")
    assert stored(runtime) == before


def test_a_too_long_label_or_a_duplicate_writes_nothing(runtime, factory, bob):
    actor = factory.actor(bob)
    add(runtime, actor, bob, "email", "bob@example.com")
    before = stored(runtime)
    with pytest.raises(ValidationFailed, match="Labels are at most 100"):
        add(runtime, actor, bob, "email", "bob2@example.com", "x" * 101)
    with pytest.raises(Conflict, match=r"already has email bob@example\.com"):
        add(runtime, actor, bob, "email", "BOB@example.com")
    assert stored(runtime) == before


def test_people_edit_their_own_contact_methods_and_admins_anyones(runtime, factory, pager, bob):
    carol = pager.person("carol")
    vic = pager.person("vic", access=AccessRole.viewer)
    alice = pager.person("alice", access=AccessRole.admin)
    before = stored(runtime)
    with pytest.raises(PermissionDenied, match="Only @carol or an admin"):
        add(runtime, factory.actor(bob), carol, "email", "carol@example.com")
    assert stored(runtime) == before
    assert add(runtime, factory.actor(vic), vic, "email", "vic@example.com").user_id == vic.id
    method = add(runtime, factory.actor(alice), carol, "sms", "+14155550123")
    with runtime.database.writing() as db, pytest.raises(PermissionDenied):
        service.remove_contact_method(db=db, actor=factory.actor(bob), method_id=method.id)
    with runtime.database.writing() as db, pytest.raises(PermissionDenied):
        service.add_rule(db=db, actor=factory.actor(bob), user=carol, contact_method_id=method.id)
    with runtime.database.writing() as db:
        service.remove_contact_method(db=db, actor=factory.actor(alice), method_id=method.id)
        assert service.list_contact_methods(db=db, user=carol) == []


def test_rules_name_one_of_the_persons_methods_and_a_delay_of_0_to_1440_minutes(runtime, factory, pager, bob):
    carol = pager.person("carol")
    actor = factory.actor(bob)
    email = add(runtime, actor, bob, "email", "bob@example.com")
    sms = add(runtime, actor, bob, "sms", "+14155550123")
    carols = add(runtime, factory.actor(carol), carol, "email", "carol@example.com")
    rule(runtime, actor, bob, email.id, 0)
    rule(runtime, actor, bob, sms.id, 1440)
    before = stored(runtime)
    for method_id, delay, error, says in [
        (sms.id, -1, ValidationFailed, "from 0 to 1440"),
        (sms.id, 1441, ValidationFailed, "from 0 to 1440"),
        (sms.id, "5", ValidationFailed, "whole number"),
        (sms.id, True, ValidationFailed, "whole number"),
        (carols.id, 5, ValidationFailed, "not one of @bob's"),
        (999, 5, ValidationFailed, "not one of @bob's"),
        (email.id, 0, Conflict, "already has that rule"),
    ]:
        with pytest.raises(error, match=says):
            rule(runtime, actor, bob, method_id, delay)
    assert stored(runtime) == before
    with runtime.database.reading() as db:
        rules = service.list_rules(db=db, user=bob)
    assert [(r.kind, r.delay_minutes) for r in rules] == [(ContactKind.email, 0), (ContactKind.sms, 1440)]
    assert rules[1].description == "sms +14155550123 after 1440 min if unacknowledged"


def test_removing_a_method_removes_its_rules_and_every_change_is_audited(runtime, factory, bob):
    actor = factory.actor(bob)
    sms = add(runtime, actor, bob, "sms", "+14155550123")
    kept = add(runtime, actor, bob, "email", "bob@example.com")
    first = rule(runtime, actor, bob, sms.id, 5)
    rule(runtime, actor, bob, kept.id, 0)
    with runtime.database.writing() as db:
        service.remove_rule(db=db, actor=actor, rule_id=first.id)
        rule_id = service.add_rule(db=db, actor=actor, user=bob, contact_method_id=sms.id, delay_minutes=10).id
        service.remove_contact_method(db=db, actor=actor, method_id=sms.id)
        assert [r.contact_method_id for r in service.list_rules(db=db, user=bob)] == [kept.id]
        with pytest.raises(NotFound):
            service.remove_rule(db=db, actor=actor, rule_id=rule_id)
        with pytest.raises(NotFound):
            service.remove_contact_method(db=db, actor=actor, method_id=sms.id)
        entries = [(e.action, e.actor_id, e.detail.get("user")) for e in audit.list_entries(db=db)
                   if e.target_type in ("contact_method", "notification_rule")]
    assert [action for action, _, _ in reversed(entries)] == [
        "contact_method.add", "contact_method.add", "notification_rule.add", "notification_rule.add",
        "notification_rule.remove", "notification_rule.add", "contact_method.remove"]
    assert {(who, user) for _, who, user in entries} == {(bob.id, "bob")}


def test_schemas_refuse_unknown_fields_and_out_of_range_delays(runtime, factory, bob):
    with pytest.raises(pydantic.ValidationError):
        ContactMethodIn.model_validate({"kind": "email", "address": "a@b.co", "colour": "red"})
    with pytest.raises(pydantic.ValidationError):
        RuleIn.model_validate({"contact_method": 1, "delay_minutes": 2000})
    method = add(runtime, factory.actor(bob), bob, "email", "bob@example.com")
    rule(runtime, factory.actor(bob), bob, method.id, 5)
    assert ContactMethodOut.of(method).address == "bob@example.com"
    with runtime.database.reading() as db:
        [view] = service.list_rules(db=db, user=bob)
    assert RuleOut.of(view).model_dump()["description"] == "email bob@example.com after 5 min if unacknowledged"
