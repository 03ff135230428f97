"""Big announcement days: marketing's calendar, and incidents on those days looped in to marketing and support."""
