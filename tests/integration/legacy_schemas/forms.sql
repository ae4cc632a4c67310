SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE FUNCTION form_versions_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN RAISE EXCEPTION 'published form versions are immutable'; END $$;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE form_versions (
    form_id character varying(100) NOT NULL,
    version integer NOT NULL,
    unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    content json NOT NULL,
    content_hash character varying(64) NOT NULL,
    published_at timestamp with time zone NOT NULL,
    published_by character varying(100) NOT NULL
);

CREATE TABLE forms (
    form_id character varying(100) NOT NULL,
    unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    draft json NOT NULL,
    draft_updated_at timestamp with time zone NOT NULL,
    latest_version integer NOT NULL,
    retired_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE inbox (
    consumer character varying(100) NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
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

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    description text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE staff_access (
    staff_id character varying(100) NOT NULL,
    units json NOT NULL,
    revoked boolean NOT NULL,
    not_before timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE unit_services (
    unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    audience character varying(20) NOT NULL
);

ALTER TABLE ONLY outbox ALTER COLUMN id SET DEFAULT nextval('outbox_id_seq'::regclass);

INSERT INTO schema_migrations VALUES (1, 'forms: forms, immutable versions, unit services, outbox', now());
INSERT INTO schema_migrations VALUES (2, 'forms: inbox (provisioning new care units)', now());
INSERT INTO schema_migrations VALUES (3, 'forms: staff access projection (revocation)', now());

SELECT pg_catalog.setval('outbox_id_seq', 1, false);

ALTER TABLE ONLY form_versions
    ADD CONSTRAINT form_versions_pkey PRIMARY KEY (form_id, version);

ALTER TABLE ONLY forms
    ADD CONSTRAINT forms_pkey PRIMARY KEY (form_id);

ALTER TABLE ONLY inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id);

ALTER TABLE ONLY forms
    ADD CONSTRAINT one_form_per_unit_service UNIQUE (unit_id, service_type);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY staff_access
    ADD CONSTRAINT staff_access_pkey PRIMARY KEY (staff_id);

ALTER TABLE ONLY unit_services
    ADD CONSTRAINT unit_services_pkey PRIMARY KEY (unit_id, service_type);

CREATE INDEX outbox_pending ON outbox USING btree (id) WHERE (published_at IS NULL);

CREATE TRIGGER form_versions_no_change BEFORE DELETE OR UPDATE ON form_versions FOR EACH ROW EXECUTE FUNCTION form_versions_immutable();

ALTER TABLE ONLY form_versions
    ADD CONSTRAINT form_versions_form_id_fkey FOREIGN KEY (form_id) REFERENCES forms(form_id);

