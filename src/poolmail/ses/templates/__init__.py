"""SES email templates and the Handlebars subset SES renders them with."""
