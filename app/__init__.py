"""Listbridge: a self-hosted bridge between an organisation's own data and Mailchimp."""
