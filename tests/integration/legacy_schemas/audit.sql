SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE FUNCTION audit_head_advance_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'audit chain head only moves forward by one';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION audit_reject_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'audit_records is append-only (% refused)', TG_OP;
END $$;

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE audit_chain_head (
    id smallint NOT NULL,
    seq bigint NOT NULL,
    hash character varying(64) NOT NULL,
    CONSTRAINT audit_chain_head_single_row CHECK ((id = 1))
);

CREATE SEQUENCE audit_chain_head_id_seq
    AS smallint
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE audit_chain_head_id_seq OWNED BY audit_chain_head.id;

CREATE TABLE audit_records (
    seq bigint NOT NULL,
    event_id uuid NOT NULL,
    event_type character varying(200) NOT NULL,
    event_version integer NOT NULL,
    subject character varying(200) NOT NULL,
    actor_id character varying(100) NOT NULL,
    actor_role character varying(20) NOT NULL,
    source_service character varying(100) NOT NULL,
    source_region character varying(100) NOT NULL,
    correlation_id uuid NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    recorded_at timestamp with time zone NOT NULL,
    summary jsonb NOT NULL,
    prev_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);

CREATE TABLE inbox (
    consumer character varying(100) NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

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

ALTER TABLE ONLY audit_chain_head ALTER COLUMN id SET DEFAULT nextval('audit_chain_head_id_seq'::regclass);

INSERT INTO audit_chain_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

INSERT INTO schema_migrations VALUES (1, 'inbox, append-only hash-chained audit log', now());
INSERT INTO schema_migrations VALUES (2, 'staff access projection (revocation)', now());

SELECT pg_catalog.setval('audit_chain_head_id_seq', 1, false);

ALTER TABLE ONLY audit_chain_head
    ADD CONSTRAINT audit_chain_head_pkey PRIMARY KEY (id);

ALTER TABLE ONLY audit_records
    ADD CONSTRAINT audit_records_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY audit_records
    ADD CONSTRAINT audit_records_pkey PRIMARY KEY (seq);

ALTER TABLE ONLY inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY staff_access
    ADD CONSTRAINT staff_access_pkey PRIMARY KEY (staff_id);

CREATE INDEX audit_records_subject ON audit_records USING btree (subject, seq);

CREATE INDEX audit_records_type ON audit_records USING btree (event_type, seq);

CREATE TRIGGER audit_chain_head_forward BEFORE DELETE OR UPDATE ON audit_chain_head FOR EACH ROW EXECUTE FUNCTION audit_head_advance_only();

CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records FOR EACH STATEMENT EXECUTE FUNCTION audit_reject_change();

CREATE TRIGGER audit_records_no_update_delete BEFORE DELETE OR UPDATE ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_reject_change();

