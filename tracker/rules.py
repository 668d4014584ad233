"""The portal's clinical rules (CLINICAL.md section 3), as pure functions over plain values.

Nothing here reads the clock or the database: callers pass `today` and the data in.
"""

import enum
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Tier(enum.IntEnum):
    """How soon a red-flag answer needs care; a higher value is more pressing."""

    SOON = 1
    URGENT = 2
    MATERNITY = 3
    EMERGENCY = 4


@dataclass(frozen=True)
class RedFlag:
    code: str
    tier: Tier
    text: Promise
    # Asked on the short screen while logging an episode (all emergency items and the two
    # commonest urgent ones); the full list is on "Get help now".
    on_short_screen: bool = False
    pregnancy_only: bool = False


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("saddle_numbness", Tier.EMERGENCY, _("Numbness or tingling around your genitals, back passage (bottom), buttocks or inner thighs"), on_short_screen=True),  # noqa: E501
    RedFlag("new_peeing_difficulty", Tier.EMERGENCY, _("New difficulty peeing, or not feeling the need to pee"), on_short_screen=True),  # noqa: E501
    RedFlag("bladder_bowel_control", Tier.EMERGENCY, _("Loss of control of your bladder or bowels"), on_short_screen=True),  # noqa: E501
    RedFlag("both_legs", Tier.EMERGENCY, _("Pain, tingling, numbness or weakness in both legs"), on_short_screen=True),  # noqa: E501
    RedFlag("leg_weakness_worsening", Tier.EMERGENCY, _("Leg weakness that is severe or getting worse quickly"), on_short_screen=True),  # noqa: E501
    RedFlag("sexual_function", Tier.EMERGENCY, _("New problems with sexual function, such as loss of feeling or problems getting an erection"), on_short_screen=True),  # noqa: E501
    RedFlag("chest_pain", Tier.EMERGENCY, _("Chest pain as well as the back pain"), on_short_screen=True),  # noqa: E501
    RedFlag("serious_accident", Tier.EMERGENCY, _("The pain started after a serious accident or fall, such as a car accident"), on_short_screen=True),  # noqa: E501
    RedFlag("fever", Tier.URGENT, _("A high temperature (38°C or more), or feeling hot and shivery"), on_short_screen=True),  # noqa: E501
    RedFlag("weight_loss", Tier.URGENT, _("Losing weight without trying")),
    RedFlag("back_lump", Tier.URGENT, _("A lump or swelling on your back, or a change in the shape of your back")),  # noqa: E501
    RedFlag("night_pain", Tier.URGENT, _("Pain that does not ease when you rest, or is worse at night"), on_short_screen=True),  # noqa: E501
    RedFlag("cough_pain", Tier.URGENT, _("Pain that is worse when you cough, sneeze or strain (for example on the toilet)")),  # noqa: E501
    RedFlag("upper_back_pain", Tier.URGENT, _("Pain high in your back, between your shoulder blades")),  # noqa: E501
    RedFlag("cancer_or_immune", Tier.URGENT, _("You have had cancer, or your immune system is weakened (for example by chemotherapy or steroids)")),  # noqa: E501
    RedFlag("first_pain_age", Tier.SOON, _("This is your first ever back pain and you are under 20 or over 50")),  # noqa: E501
    RedFlag("one_leg_symptoms", Tier.SOON, _("Numbness, pins and needles or weakness in one leg that has not settled")),  # noqa: E501
    RedFlag("not_coping", Tier.SOON, _("The pain stops you doing your normal daily activities, or you are struggling to cope")),  # noqa: E501
    RedFlag("pregnancy_tightening", Tier.MATERNITY, _("Regular waves of pain, or tightening of your bump"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_bleeding", Tier.MATERNITY, _("Bleeding, or fluid leaking from your vagina"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_infection", Tier.MATERNITY, _("A high temperature, or pain or burning when you pee"), pregnancy_only=True),  # noqa: E501
    RedFlag("pregnancy_movements", Tier.MATERNITY, _("Your baby is moving less than usual"), pregnancy_only=True),  # noqa: E501
)  # fmt: skip

RED_FLAGS_BY_CODE: dict[str, RedFlag] = {flag.code: flag for flag in RED_FLAGS}


def red_flags_in_tier(tier: Tier) -> list[RedFlag]:
    """Return the red-flag questions of one tier, in the order they are asked."""
    return [flag for flag in RED_FLAGS if flag.tier == tier]
