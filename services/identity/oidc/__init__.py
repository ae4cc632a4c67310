"""identity as an OpenID Provider, built on authlib's framework-neutral server classes.

authlib's server is synchronous, so its endpoints (/authorize, /token, /revoke, /userinfo,
/logout) are plain `def` routes that FastAPI runs in its thread pool, with their own sync
SQLAlchemy engine. The login front doors (frontdoor.py) are async and hand the synchronous
parts to the thread pool. Modules:

  clients     registered clients (the gateway; a public PKCE test client in dev/test)
  models      what authlib's grants pass around (logged-in user, code, refresh token)
  store       sessions, single-use codes and rotating refresh tokens (hashed), sync SQL
  server      the AuthorizationServer subclass: request/response adapters, token issuing
  grants      code + PKCE (S256 only), refresh rotation with reuse detection, revocation,
              end session, id tokens
  routes      the protocol endpoints
  requests    pending /authorize requests bound to one browser, with CSRF tokens
  frontdoor   the login pages: e-ID, patient password, staff password + TOTP
  web         what the routes share: the request for authlib, the Door, rendered pages
  i18n        the pages' Swedish and English (gettext catalogs in services/identity/locale)
  language    the pages' language switch
  assets      GOV.UK Frontend and the pages' own CSS and script, served by identity itself"""
