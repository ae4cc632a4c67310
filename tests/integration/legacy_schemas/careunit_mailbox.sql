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

CREATE TABLE answer_promises (
    care_unit_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    days integer NOT NULL
);

CREATE TABLE answer_templates (
    template_id character varying(100) NOT NULL,
    level character varying(10) NOT NULL,
    care_unit_id character varying(100),
    owner_id character varying(100),
    title character varying(200) NOT NULL,
    text text NOT NULL,
    created_at timestamp with time zone NOT NULL
);

CREATE TABLE follow_ups (
    follow_up_id character varying(100) NOT NULL,
    message_id character varying(100) NOT NULL,
    sent_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone NOT NULL,
    sealed_key_id character varying(100) NOT NULL,
    sealed_ciphertext bytea NOT NULL,
    opened_at timestamp with time zone
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

CREATE TABLE replies (
    reply_id character varying(100) NOT NULL,
    message_id character varying(100) NOT NULL,
    clinician_id character varying(100) NOT NULL,
    sent_at timestamp with time zone NOT NULL,
    sealed_key_id character varying(100) NOT NULL,
    sealed_ciphertext bytea NOT NULL,
    action character varying(10) DEFAULT 'answer'::character varying NOT NULL,
    opened_at timestamp with time zone
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

CREATE TABLE staff_away (
    care_unit_id character varying(100) NOT NULL,
    staff_id character varying(100) NOT NULL,
    away boolean NOT NULL,
    changed_by character varying(100) NOT NULL,
    changed_at timestamp with time zone NOT NULL
);

CREATE TABLE staff_members (
    staff_id character varying(100) NOT NULL,
    care_unit_id character varying(100) NOT NULL,
    profession character varying(50) NOT NULL,
    roles json NOT NULL
);

CREATE TABLE unit_groups (
    care_unit_id character varying(100) NOT NULL,
    group_id character varying(50) NOT NULL,
    name character varying(100) NOT NULL,
    profession character varying(50) NOT NULL
);

CREATE TABLE unit_messages (
    message_id character varying(100) NOT NULL,
    conversation_id character varying(100) NOT NULL,
    care_unit_id character varying(100) NOT NULL,
    patient_id character varying(100) NOT NULL,
    service_type character varying(50) NOT NULL,
    status character varying(20) NOT NULL,
    assigned_to character varying(100),
    assigned_at timestamp with time zone,
    answered_at timestamp with time zone,
    submitted_at timestamp with time zone NOT NULL,
    received_at timestamp with time zone NOT NULL,
    sealed_key_id character varying(100) NOT NULL,
    sealed_ciphertext bytea NOT NULL,
    group_id character varying(50),
    due_at timestamp with time zone,
    last_activity_at timestamp with time zone,
    unread_from_patient boolean DEFAULT false NOT NULL,
    opened_at timestamp with time zone,
    closed_at timestamp with time zone,
    overdue_notified_at timestamp with time zone
);

ALTER TABLE ONLY outbox ALTER COLUMN id SET DEFAULT nextval('outbox_id_seq'::regclass);

INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-12-01 03:30:09.082526+00');
INSERT INTO schema_migrations VALUES (2, 'staff access projection (revocation)', '2026-12-01 03:30:09.082526+00');
INSERT INTO schema_migrations VALUES (3, 'threads, pools, away, answer templates and promises', '2026-12-01 03:30:09.082526+00');
INSERT INTO schema_migrations VALUES (4, 'index for the overdue check', '2026-12-01 03:30:09.082526+00');
INSERT INTO schema_migrations VALUES (900, 'outbox: parked rows (can never be published)', '2026-12-01 03:30:09.082526+00');
INSERT INTO schema_migrations VALUES (901, 'inbox: index for purging old processed events', '2026-12-01 03:30:09.082526+00');

SELECT pg_catalog.setval('outbox_id_seq', 1, false);

ALTER TABLE ONLY answer_promises
    ADD CONSTRAINT answer_promises_pkey PRIMARY KEY (care_unit_id, service_type);

ALTER TABLE ONLY answer_templates
    ADD CONSTRAINT answer_templates_pkey PRIMARY KEY (template_id);

ALTER TABLE ONLY follow_ups
    ADD CONSTRAINT follow_ups_pkey PRIMARY KEY (follow_up_id);

ALTER TABLE ONLY inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (consumer, event_id);

ALTER TABLE ONLY mailbox_keys
    ADD CONSTRAINT mailbox_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY peer_keys
    ADD CONSTRAINT peer_keys_pkey PRIMARY KEY (mailbox, key_id);

ALTER TABLE ONLY replies
    ADD CONSTRAINT replies_pkey PRIMARY KEY (reply_id);

ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);

ALTER TABLE ONLY staff_access
    ADD CONSTRAINT staff_access_pkey PRIMARY KEY (staff_id);

ALTER TABLE ONLY staff_away
    ADD CONSTRAINT staff_away_pkey PRIMARY KEY (care_unit_id, staff_id);

ALTER TABLE ONLY staff_members
    ADD CONSTRAINT staff_members_pkey PRIMARY KEY (staff_id, care_unit_id);

ALTER TABLE ONLY unit_groups
    ADD CONSTRAINT unit_groups_pkey PRIMARY KEY (care_unit_id, group_id);

ALTER TABLE ONLY unit_messages
    ADD CONSTRAINT unit_messages_pkey PRIMARY KEY (message_id);

CREATE INDEX answer_templates_unit ON answer_templates USING btree (care_unit_id, level);

CREATE INDEX inbox_processed_at ON inbox USING btree (processed_at);

CREATE INDEX ix_follow_ups_message_id ON follow_ups USING btree (message_id);

CREATE INDEX ix_replies_message_id ON replies USING btree (message_id);

CREATE INDEX ix_unit_messages_care_unit_id ON unit_messages USING btree (care_unit_id);

CREATE INDEX outbox_pending ON outbox USING btree (id) WHERE (published_at IS NULL);

CREATE INDEX unit_messages_holder ON unit_messages USING btree (assigned_to, status);

CREATE INDEX unit_messages_overdue ON unit_messages USING btree (due_at) WHERE ((overdue_notified_at IS NULL) AND ((status)::text = ANY ((ARRAY['unassigned'::character varying, 'assigned'::character varying])::text[])));

CREATE INDEX unit_messages_page ON unit_messages USING btree (care_unit_id, received_at, message_id);

CREATE INDEX unit_messages_status_page ON unit_messages USING btree (care_unit_id, status, received_at, message_id);

ALTER TABLE ONLY replies
    ADD CONSTRAINT replies_message_id_fkey FOREIGN KEY (message_id) REFERENCES unit_messages(message_id);
