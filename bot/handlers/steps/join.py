"""Joining a family (flow ``join``): the code, the newcomer's role and name, then the request that waits for the
approver's button (bot/flows/family_admission.py; the buttons are bot/handlers/family_approval.py).

The newcomer opens the ``fam_`` link (or types the code), consents, says who they are and their name, then
:func:`request_admission` keeps the request in their conversation state (``join``/``wait``) and sends the
approver "<name> ingin bergabung … [Setujui] [Tolak]". The newcomer sees nothing of the family until approved.
A wrong code gets the same short answer whether or not any family exists, so a stranger learns nothing.
"""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import family_admission as admission
from bot.flows import family_link
from bot.handlers.context import clear_state, put_state, role_name
from storage import families as family_store
from storage.models import ChatState, User

JOIN = "join"
CODE, ROLE, NAME, WAIT = "code", "role", "name", "wait"  # WAIT: for the approver


def ask_code(turn: Turn, fails: int = 0) -> None:
    put_state(turn, JOIN, CODE, {"fails": fails})
    turn.reply(turn.t("family.ask_family_code"))


def ask_again(turn: Turn, st: ChatState) -> None:
    """Repeat the question the join conversation is waiting for."""
    if st.step == CODE:
        turn.reply(turn.t("family.ask_family_code"))
    elif st.step == WAIT:
        still_waiting(turn)
    elif st.step == ROLE:
        ask_join_role(turn, dict(st.data))
    else:
        ask_name(turn, dict(st.data))


def ask_join_role(turn: Turn, data: dict) -> None:
    put_state(turn, JOIN, ROLE, data)
    turn.reply(turn.t("family.join_which_role"), inline([[
        (turn.t("onboarding.role_ibu"), callback("join", "role", family_store.MOTHER)),
        (turn.t("onboarding.role_suami"), callback("join", "role", family_store.HUSBAND)),
    ]]))


def ask_name(turn: Turn, data: dict) -> None:
    put_state(turn, JOIN, NAME, data)
    key = "onboarding.ask_name" if data.get("role") == family_store.MOTHER else "onboarding.ask_name_suami"
    turn.reply(turn.t(key))


def refused_as_member(turn: Turn, user: User, family) -> bool:
    """Someone already in a family (this one or another) cannot join: says so, ends the join; True then."""
    current = family_store.family_of(turn.session, user.id)
    if current is None:
        return False
    clear_state(turn)
    turn.reply(turn.t("family.already_member") if current.id == family.id else turn.t("family.other_family"))
    return True


def proceed_join(turn: Turn, user: User, code: str, *, wanted: str | None, fails: int = 0) -> None:
    family = family_store.by_link_code(turn.session, code)
    if family is None:
        fails += 1
        if fails >= family_link.MAX_WRONG_CODES:
            clear_state(turn)
            turn.reply(turn.t("family.code_too_many"))
            return
        put_state(turn, JOIN, CODE, {"fails": fails})
        turn.reply(turn.t("family.code_wrong"))
        return
    if refused_as_member(turn, user, family):
        return
    if admission.is_full(turn.session, family):
        clear_state(turn)
        turn.reply(turn.t("family.family_full"))
        return
    role = family_link.role_for_joiner(turn.session, family, wanted)
    data = {"family_id": family.id, "link": family.link_code}
    if role is None:
        ask_join_role(turn, data)
        return
    data["role"] = role
    if not user.display_name:
        ask_name(turn, data)
        return
    do_join(turn, user, data)


def do_join(turn: Turn, user: User, data: dict) -> None:
    """Nobody joins by the link alone: the request waits for the mother's (or husband's) approval."""
    request_admission(turn, user, data)


def request_admission(turn: Turn, user: User, data: dict) -> None:
    """The newcomer is ready: keep the request and ask the approver."""
    family = family_store.get(turn.session, int(data["family_id"]))
    # The code may have been renewed (or the family closed) while this person was typing their name.
    if family is None or not admission.request_matches(data, family):
        clear_state(turn)
        turn.reply(turn.t("family.code_wrong"))
        return
    if refused_as_member(turn, user, family):
        return
    role = admission.admissible_role(turn.session, family, data.get("role"))
    approver = admission.approver(turn.session, family)
    if role == admission.FULL or role is None or approver is None:
        clear_state(turn)
        turn.reply(turn.t("family.family_full"))
        return
    put_state(turn, JOIN, WAIT, {"family_id": family.id, "link": family.link_code, "role": role})
    turn.reply(turn.t("family.join_waiting"))
    if approver.user.chat_id is not None:
        turn.send(approver.user.chat_id, turn.t("family.join_request", nama=admission.display(user),
                                                  peran=role_name(turn, role)),
                  inline([[(turn.t("family.button_approve"), callback("adm", "ok", user.id)),
                           (turn.t("family.button_decline"), callback("adm", "no", user.id))]]))


def still_waiting(turn: Turn) -> None:
    turn.reply(turn.t("family.join_still_waiting"))
