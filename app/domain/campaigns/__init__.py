"""Campaign tracking: Mailchimp campaigns followed by ID, their figures refreshed and charted."""
