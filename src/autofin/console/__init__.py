"""The web console (NiceGUI on the API's FastAPI app): frame, menu, sign-in, shared widgets, i18n."""
