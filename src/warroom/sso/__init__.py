"""Single sign-on: OpenID Connect sign-in (``oidc``) and SCIM 2.0 provisioning (``scim``).

Both only ever read and write people, teams and credentials: no incident data passes through them.
"""
