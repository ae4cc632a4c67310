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

CREATE TABLE activation_codes (
    code_id uuid NOT NULL,
    patient_id uuid NOT NULL,
    code_hash character varying(255) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    revoked_at timestamp with time zone
);

CREATE TABLE care_units (
    unit_id character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    region character varying(64) NOT NULL,
    functional_email character varying(320) NOT NULL,
    services json NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE catalogue_memberships (
    staff_id uuid NOT NULL,
    unit_id character varying(100) NOT NULL,
    roles json NOT NULL,
    valid_from date,
    valid_to date
);

CREATE TABLE catalogue_staff (
    staff_id uuid NOT NULL,
    valid_from date,
    valid_to date,
    removed_at timestamp with time zone,
    announced json,
    active boolean DEFAULT false NOT NULL,
    revoked_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE login_throttle (
    throttle_key character varying(100) NOT NULL,
    failures integer NOT NULL,
    last_failure_at timestamp with time zone,
    blocked_until timestamp with time zone
);

CREATE TABLE memberships (
    staff_id uuid NOT NULL,
    unit_id character varying(100) NOT NULL,
    roles json NOT NULL
);

CREATE TABLE oidc_codes (
    code_hash character varying(64) NOT NULL,
    sid character varying(64) NOT NULL,
    client_id character varying(64) NOT NULL,
    redirect_uri character varying(2000) NOT NULL,
    scope character varying(200) NOT NULL,
    nonce character varying(200),
    code_challenge character varying(128),
    code_challenge_method character varying(16),
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);

CREATE TABLE oidc_login_requests (
    request_id character varying(64) NOT NULL,
    browser_hash character varying(64) NOT NULL,
    csrf_hash character varying(64) NOT NULL,
    params json NOT NULL,
    kind character varying(16),
    eid_provider character varying(32),
    eid_state json,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone
);

CREATE TABLE oidc_refresh_tokens (
    token_hash character varying(64) NOT NULL,
    sid character varying(64) NOT NULL,
    client_id character varying(64) NOT NULL,
    scope character varying(200) NOT NULL,
    issued_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);

CREATE TABLE oidc_sessions (
    sid character varying(64) NOT NULL,
    client_id character varying(64) NOT NULL,
    subject character varying(64) NOT NULL,
    kind character varying(16) NOT NULL,
    loa integer NOT NULL,
    amr json NOT NULL,
    auth_time timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_reason character varying(64)
);

CREATE TABLE outbox (
    id bigint NOT NULL,
    event_id uuid NOT NULL,
    topic character varying(200) NOT NULL,
    key character varying(200) NOT NULL,
    event_type character varying(200) NOT NULL,
    payload bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone
);

CREATE SEQUENCE outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE outbox_id_seq OWNED BY outbox.id;

CREATE TABLE patient_credentials (
    patient_id uuid NOT NULL,
    password_hash character varying(255) NOT NULL,
    activated_at timestamp with time zone NOT NULL,
    password_set_at timestamp with time zone NOT NULL
);

CREATE TABLE patients (
    patient_id uuid NOT NULL,
    personnummer character varying(12) NOT NULL,
    given_name character varying(100) NOT NULL,
    family_name character varying(100) NOT NULL,
    email character varying(320),
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE population_register (
    personnummer character varying(12) NOT NULL,
    samordningsnummer boolean NOT NULL,
    given_name character varying(100) NOT NULL,
    family_name character varying(100) NOT NULL,
    care_of character varying(200),
    street character varying(200),
    postal_code character varying(10),
    city character varying(100),
    protected_identity boolean NOT NULL,
    imported_at timestamp with time zone NOT NULL,
    listed_unit character varying(100),
    CONSTRAINT protected_identity_has_no_address CHECK (((NOT protected_identity) OR ((care_of IS NULL) AND (street IS NULL) AND (postal_code IS NULL) AND (city IS NULL))))
);

CREATE TABLE print_queue (
    letter_id uuid NOT NULL,
    patient_id uuid NOT NULL,
    kind character varying(32) NOT NULL,
    routing character varying(32) NOT NULL,
    state character varying(16) NOT NULL,
    pdf_sealed bytea,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    description text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE signing_keys (
    kid character varying(100) NOT NULL,
    wrapped_private_jwk bytea NOT NULL,
    public_jwk json NOT NULL,
    state character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    retired_at timestamp with time zone
);

CREATE TABLE staff (
    staff_id uuid NOT NULL,
    hsa_id character varying(64) NOT NULL,
    given_name character varying(100) NOT NULL,
    family_name character varying(100) NOT NULL,
    profession character varying(64) NOT NULL,
    email character varying(320),
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE staff_credentials (
    staff_id uuid NOT NULL,
    password_hash character varying(200) NOT NULL,
    totp_secret_wrapped bytea NOT NULL,
    eid_personnummer character varying(12),
    failed_attempts integer NOT NULL,
    locked_until timestamp with time zone,
    last_totp_step bigint
);

CREATE TABLE test_eid_orders (
    order_ref character varying(64) NOT NULL,
    request_id character varying(64) NOT NULL,
    csrf_hash character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    personnummer character varying(12),
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY outbox ALTER COLUMN id SET DEFAULT nextval('outbox_id_seq'::regclass);

INSERT INTO schema_migrations VALUES (1, 'identity: units, patients, staff, memberships, keys, outbox', now());
INSERT INTO schema_migrations VALUES (10, 'identity: population register, activation codes, patient passwords, print queue, login throttle', now());
INSERT INTO schema_migrations VALUES (11, 'identity: the care unit each person is listed at', now());
INSERT INTO schema_migrations VALUES (20, 'identity: OpenID Provider sessions, codes, refresh tokens, login requests, staff credentials, test e-ID orders', now());
INSERT INTO schema_migrations VALUES (30, 'identity: staff catalogue validity, removal and announcements', now());

SELECT pg_catalog.setval('outbox_id_seq', 1, false);

ALTER TABLE ONLY activation_codes
    ADD CONSTRAINT activation_codes_pkey PRIMARY KEY (code_id);

ALTER TABLE ONLY care_units
    ADD CONSTRAINT care_units_pkey PRIMARY KEY (unit_id);

ALTER TABLE ONLY catalogue_memberships
    ADD CONSTRAINT catalogue_memberships_pkey PRIMARY KEY (staff_id, unit_id);

ALTER TABLE ONLY catalogue_staff
    ADD CONSTRAINT catalogue_staff_pkey PRIMARY KEY (staff_id);

ALTER TABLE ONLY login_throttle
    ADD CONSTRAINT login_throttle_pkey PRIMARY KEY (throttle_key);

ALTER TABLE ONLY memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (staff_id, unit_id);

ALTER TABLE ONLY oidc_codes
    ADD CONSTRAINT oidc_codes_pkey PRIMARY KEY (code_hash);

ALTER TABLE ONLY oidc_login_requests
    ADD CONSTRAINT oidc_login_requests_pkey PRIMARY KEY (request_id);

ALTER TABLE ONLY oidc_refresh_tokens
    ADD CONSTRAINT oidc_refresh_tokens_pkey PRIMARY KEY (token_hash);

ALTER TABLE ONLY oidc_sessions
    ADD CONSTRAINT oidc_sessions_pkey PRIMARY KEY (sid);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY patient_credentials
    ADD CONSTRAINT patient_credentials_pkey PRIMARY KEY (patient_id);

ALTER TABLE ONLY patients
    ADD CONSTRAINT patients_personnummer_key UNIQUE (personnummer);

ALTER TABLE ONLY patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (patient_id);

ALTER TABLE ONLY population_register
    ADD CONSTRAINT population_register_pkey PRIMARY KEY (personnummer);

ALTER TABLE ONLY print_queue
    ADD CONSTRAINT print_queue_pkey PRIMARY KEY (letter_id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (kid);

ALTER TABLE ONLY staff_credentials
    ADD CONSTRAINT staff_credentials_eid_personnummer_key UNIQUE (eid_personnummer);

ALTER TABLE ONLY staff_credentials
    ADD CONSTRAINT staff_credentials_pkey PRIMARY KEY (staff_id);

ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_hsa_id_key UNIQUE (hsa_id);

ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_pkey PRIMARY KEY (staff_id);

ALTER TABLE ONLY test_eid_orders
    ADD CONSTRAINT test_eid_orders_pkey PRIMARY KEY (order_ref);

CREATE INDEX ix_activation_codes_patient_id ON activation_codes USING btree (patient_id);

CREATE INDEX ix_print_queue_patient_id ON print_queue USING btree (patient_id);

CREATE INDEX oidc_refresh_tokens_sid ON oidc_refresh_tokens USING btree (sid);

CREATE INDEX oidc_sessions_subject ON oidc_sessions USING btree (subject);

CREATE INDEX outbox_pending ON outbox USING btree (id) WHERE (published_at IS NULL);

CREATE INDEX print_queue_by_state ON print_queue USING btree (state, created_at);

ALTER TABLE ONLY activation_codes
    ADD CONSTRAINT activation_codes_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id);

ALTER TABLE ONLY catalogue_memberships
    ADD CONSTRAINT catalogue_memberships_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);

ALTER TABLE ONLY catalogue_memberships
    ADD CONSTRAINT catalogue_memberships_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES care_units(unit_id);

ALTER TABLE ONLY catalogue_staff
    ADD CONSTRAINT catalogue_staff_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);

ALTER TABLE ONLY memberships
    ADD CONSTRAINT memberships_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);

ALTER TABLE ONLY memberships
    ADD CONSTRAINT memberships_unit_id_fkey FOREIGN KEY (unit_id) REFERENCES care_units(unit_id);

ALTER TABLE ONLY patient_credentials
    ADD CONSTRAINT patient_credentials_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id);

ALTER TABLE ONLY print_queue
    ADD CONSTRAINT print_queue_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients(patient_id);

