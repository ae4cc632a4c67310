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

CREATE TABLE care_units (
    unit_id character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    services json NOT NULL
);

CREATE TABLE conversations (
    conversation_id character varying(100) NOT NULL,
    patient_id character varying(100) NOT NULL,
    care_unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    status character varying(20) NOT NULL,
    unread_reply boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    promised_answer_days integer
);

CREATE TABLE inbox (
    consumer character varying(100) NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE mailbox_keys (
    key_id character varying(100) NOT NULL,
    public_key bytea NOT NULL,
    wrapped_private_key bytea NOT NULL,
    state character varying(16) NOT NULL,
    created_at timestamp with time zone NOT NULL
);

CREATE TABLE messages (
    message_id character varying(100) NOT NULL,
    conversation_id character varying(100) NOT NULL,
    direction character varying(10) NOT NULL,
    author_id character varying(100) NOT NULL,
    sealed_key_id character varying(100) NOT NULL,
    sealed_ciphertext bytea NOT NULL,
    created_at timestamp with time zone NOT NULL,
    opened_at timestamp with time zone
);

CREATE TABLE outbox (
    id bigint NOT NULL,
    event_id uuid NOT NULL,
    topic character varying(200) NOT NULL,
    key character varying(200) NOT NULL,
    event_type character varying(200) NOT NULL,
    payload bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone,
    parked_at timestamp with time zone,
    park_reason character varying(200)
);

CREATE SEQUENCE outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE outbox_id_seq OWNED BY outbox.id;

CREATE TABLE peer_keys (
    mailbox character varying(64) NOT NULL,
    key_id character varying(100) NOT NULL,
    public_key bytea NOT NULL,
    published_at timestamp with time zone NOT NULL
);

CREATE TABLE schema_migrations (
    version integer NOT NULL,
    description text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE unit_forms (
    unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    form_id character varying(100) NOT NULL,
    version integer NOT NULL,
    retired boolean NOT NULL
);

CREATE TABLE unit_offers (
    unit_id character varying(100) NOT NULL,
    services json NOT NULL,
    changed_at timestamp with time zone NOT NULL
);

ALTER TABLE ONLY outbox ALTER COLUMN id SET DEFAULT nextval('outbox_id_seq'::regclass);

INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-12-01 03:30:09.023204+00');
INSERT INTO schema_migrations VALUES (2, 'projection of published forms and offered e-services', '2026-12-01 03:30:09.023204+00');
INSERT INTO schema_migrations VALUES (3, 'statuses, receipts and promised answer time', '2026-12-01 03:30:09.023204+00');
INSERT INTO schema_migrations VALUES (900, 'outbox: parked rows (can never be published)', '2026-12-01 03:30:09.023204+00');
INSERT INTO schema_migrations VALUES (901, 'inbox: index for purging old processed events', '2026-12-01 03:30:09.023204+00');

SELECT pg_catalog.setval('outbox_id_seq', 1, false);

ALTER TABLE ONLY care_units
    ADD CONSTRAINT care_units_pkey PRIMARY KEY (unit_id);

ALTER TABLE ONLY conversations
    ADD CONSTRAINT conversations_pkey PRIMARY KEY (conversation_id);

ALTER TABLE ONLY inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id);

ALTER TABLE ONLY mailbox_keys
    ADD CONSTRAINT mailbox_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (message_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY peer_keys
    ADD CONSTRAINT peer_keys_pkey PRIMARY KEY (mailbox, key_id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY unit_forms
    ADD CONSTRAINT unit_forms_pkey PRIMARY KEY (unit_id, service_type);

ALTER TABLE ONLY unit_offers
    ADD CONSTRAINT unit_offers_pkey PRIMARY KEY (unit_id);

CREATE INDEX conversations_page ON conversations USING btree (patient_id, created_at DESC, conversation_id DESC);

CREATE INDEX inbox_processed_at ON inbox USING btree (processed_at);

CREATE INDEX ix_conversations_patient_id ON conversations USING btree (patient_id);

CREATE INDEX ix_messages_conversation_id ON messages USING btree (conversation_id);

CREATE INDEX outbox_pending ON outbox USING btree (id) WHERE (published_at IS NULL);

ALTER TABLE ONLY messages
    ADD CONSTRAINT messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES conversations(conversation_id);
