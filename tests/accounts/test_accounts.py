import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, ApiToken, TokenScope, User
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from warroom.core.security import hash_password, verify_password

from ..factories import PASSWORD


def test_password_hash_is_a_salted_kdf():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second and first.startswith("scrypt$")
    assert verify_password("s3cret-pass", first)
    assert not verify_password("s3cret-pasS", first)
    assert not verify_password("x", "garbage")


def test_sign_in_by_handle_or_email(runtime, factory):
    factory.user("bob")
    with runtime.database.reading() as db:
        assert accounts.authenticate_password(db=db, login="@Bob", password=PASSWORD).handle == "bob"
        assert accounts.authenticate_password(db=db, login="BOB@example.com", password=PASSWORD).handle == "bob"
        with pytest.raises(NotAuthenticated):
            accounts.authenticate_password(db=db, login="bob", password="wrong-password")
        with pytest.raises(NotAuthenticated):
            accounts.authenticate_password(db=db, login="nobody", password=PASSWORD)


@pytest.mark.parametrize(
    ("handle", "email", "name", "password", "error"),
    [("Bad Handle", "x@example.com", "X", PASSWORD, "handle"),
     ("ok", "not-an-email", "X", PASSWORD, "not an email"),
     ("ok", "ok@example.com", " ", PASSWORD, "needs a name"),
     ("ok", "ok@example.com", "X", "short", "at least 8")],
)
def test_create_user_validates(runtime, handle, email, name, password, error):
    with runtime.database.writing() as db, pytest.raises(ValidationFailed, match=error):
        accounts.create_user(db=db, actor=Actor.system(runtime.clock), handle=handle, email=email, name=name,
                             password=password)


def test_duplicate_user_and_non_admin_creation_refused(runtime, factory):
    bob = factory.user("bob")
    with runtime.database.writing() as db, pytest.raises(Conflict):
        accounts.create_user(db=db, actor=Actor.system(runtime.clock), handle="bob", email="b2@example.com",
                             name="B")
    with runtime.database.writing() as db, pytest.raises(PermissionDenied):
        accounts.create_user(db=db, actor=factory.actor(bob), handle="eve", email="eve@example.com", name="E")
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_tokens_are_shown_once_stored_hashed_and_capped_by_the_user(runtime, factory):
    bob = factory.user("bob")
    with runtime.database.writing() as db:
        new = accounts.create_token(db=db, actor=factory.actor(bob), user=bob, name="laptop",
                                    scope=TokenScope.write)
    with runtime.database.reading() as db:
        stored = db.scalars(sa.select(ApiToken)).one()
        assert new.secret not in (stored.token_hash, stored.prefix) and new.secret.startswith(stored.prefix)
        found = accounts.authenticate_token(db=db, secret=new.secret)
        assert found is not None and accounts.effective_role(found[1], found[0].scope) is AccessRole.responder
    with runtime.database.writing() as db, pytest.raises(ValidationFailed, match="cannot have more"):
        accounts.create_token(db=db, actor=factory.actor(bob), user=bob, name="x", scope=TokenScope.admin)
    with runtime.database.writing() as db:
        accounts.revoke_token(db=db, actor=factory.actor(bob), token_id=new.token.id)
    with runtime.database.reading() as db:
        assert accounts.authenticate_token(db=db, secret=new.secret) is None


def test_read_token_of_an_admin_only_reads():
    admin = User(handle="a", email="a@x.io", name="A", access_role=AccessRole.admin)
    assert accounts.effective_role(admin, TokenScope.read) is AccessRole.viewer
    assert accounts.effective_role(admin, None) is AccessRole.admin
