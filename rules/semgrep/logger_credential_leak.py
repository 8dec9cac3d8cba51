import logging

import structlog

logger = logging.getLogger(__name__)
log = structlog.get_logger()


def login(username: str, password: str, request):
    # ruleid: logger-credential-disclosure
    logger.info(f"login attempt for {username} with password {password}")
    token = issue_token(username)
    # ruleid: logger-credential-disclosure
    logger.debug("issued token %s", token)
    # ruleid: logger-credential-disclosure
    log.info("auth header %s" % request.headers["Authorization"])
    # ruleid: logger-credential-disclosure
    logging.warning("user {} sent key {}".format(username, request.api_key))
    # ruleid: logger-credential-disclosure
    logger.error(f"bad secret: {settings.JWT_SECRET}")
    return token


def safe(username: str, password: str, token: str):
    # ok: logger-credential-disclosure
    logger.info(f"login attempt for {username}")
    # ok: logger-credential-disclosure
    logger.info(f"password length {len(password)}")
    # ok: logger-credential-disclosure
    logger.info("token type %s", token_type)
    # ok: logger-credential-disclosure
    logger.info(f"reset link sent to {username}: {password_reset_url}")
    # ok: logger-credential-disclosure
    print(f"password {password}")
    # ok: logger-credential-disclosure
    logger.info("password changed for %s", username)


def issue_token(username):
    return username
