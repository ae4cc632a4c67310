SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE pending_logins (
    key character varying(64) NOT NULL,
    created_at double precision NOT NULL,
    sealed bytea NOT NULL
);

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    description text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE sessions (
    key character varying(64) NOT NULL,
    created_at double precision NOT NULL,
    last_seen double precision NOT NULL,
    sealed bytea NOT NULL,
    written_at timestamp with time zone DEFAULT now() NOT NULL
);

INSERT INTO schema_migrations VALUES (1, 'sessions, pending logins', '2026-12-01 07:10:46.040272+00');

ALTER TABLE ONLY pending_logins
    ADD CONSTRAINT pending_logins_pkey PRIMARY KEY (key);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (key);
