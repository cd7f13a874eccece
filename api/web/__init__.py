"""The therapist workspace: server-rendered pages under /therapist on the API's services."""
