"""The Human Trafficking Case Data Standard (HTCDS) 2.0: its fields and code lists, as data.

Source: "Human Trafficking Case Data Standard (HTCDS) by IOM", version 2.0 (24 December 2021),
licensed CC BY 4.0. Only the system names of the fields, their types and flags, and the value names
of the code lists are kept here: they are the facts an exchange has to agree on. IOM does not
endorse this software. A test compares these lists with the machine-readable copy of the standard
(shared/data/htcds) whenever that copy is present.

What is ours rather than the standard's is kept apart below: the validation kind of each field
(an E.164 phone, an ISO country code ...), the aliases and misspellings seen in the standard's own
templates, and one extension value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

HTCDS_VERSION = "2.0"

# (system name, type as the standard states it, status, core field)
_FIELDS: tuple[tuple[str, str, str, bool], ...] = (
    ("org_Name", "Text", "DRAFT", False),
    ("org_ShippingCity", "Text", "DRAFT", False),
    ("org_ShippingCountry", "Picklist or Text", "DRAFT", False),
    ("org_ShippingState", "Picklist or Text", "DRAFT", False),
    ("org_ShippingStreet", "Text", "DRAFT", False),
    ("org_ShippingPostalCode", "Text", "DRAFT", False),
    ("org_ShippingLongitude", "Geolocation", "DRAFT", False),
    ("org_ShippingLatitude", "Geolocation", "DRAFT", False),
    ("org_Phone", "Text", "DRAFT", False),
    ("org_Type", "Picklist", "DRAFT", False),
    ("prs_Salutation", "Text", "DRAFT", True),
    ("prs_FirstName", "Text", "DRAFT", True),
    ("prs_MiddleName", "Text", "DRAFT", False),
    ("prs_SecondName", "Text", "DRAFT", True),
    ("prs_Birthdate", "Date", "DRAFT", True),
    ("prs_Gender", "Picklist", "DRAFT", True),
    ("prs_Deceased", "Checkbox", "DRAFT", False),
    ("prs_MaritalStatus", "Picklist", "DRAFT", False),
    ("prs_NumberOfChildren", "Number", "DRAFT", False),
    ("prs_PrimaryLanguage", "Picklist", "DRAFT", False),
    ("prs_SecondaryLanguage", "Picklist", "DRAFT", False),
    ("prs_HighestLevelOfEducation", "Picklist", "DRAFT", False),
    ("prs_Citizenship", "Multiselect Picklist", "DRAFT", True),
    ("prs_IdentityNumber", "Text", "DRAFT", False),
    ("prs_Title", "Text", "DRAFT", True),
    ("prs_Email", "Text", "DRAFT", True),
    ("prs_HomePhone", "Text", "DRAFT", True),
    ("prs_MobilePhone", "Text", "DRAFT", True),
    ("prs_MailingCity", "Text", "DRAFT", True),
    ("prs_MailingCountry", "Text", "DRAFT", True),
    ("prs_MailingState", "Text", "DRAFT", True),
    ("prs_MailingStreet", "Text", "DRAFT", True),
    ("prs_MailingPostalCode", "Text", "DRAFT", True),
    ("prs_MailingLongitude", "Number", "DRAFT", False),
    ("prs_MailingLatitude", "Number", "DRAFT", False),
    ("vic_AgreementToManagePersonalData", "Checkbox", "DEPRECATED", False),
    ("vic_TraffickingStatus", "Picklist", "DRAFT", True),
    ("vic_TraffickingStatusDecisionMakingOrg", "Picklist", "DRAFT", True),
    ("vic_RelationshipToTrafficker", "Picklist", "DRAFT", False),
    ("vic_AgeWhenTrafficked", "Number", "DRAFT", False),
    ("vic_RecruitmentWebsitesAndApps", "Multiselect Picklist", "DRAFT", False),
    ("vic_MethodOfRecruitment", "Multiselect Picklist", "DRAFT", True),
    ("vic_LocationOfRecruitment", "Lookup [to organisation]", "DRAFT", True),
    ("vic_MethodsOfControl", "Multiselect Picklist", "DRAFT", True),
    ("vic_TypeOfExploitation", "Multiselect Picklist", "DRAFT", True),
    ("vic_ForcedLabourIndustry", "Picklist", "DRAFT", True),
    ("vic_TypeOfSexExploitation", "Multiselect Picklist", "DRAFT", True),
    ("vic_LocationOfExploitation", "Lookup [to organisation]", "DRAFT", True),
    ("vic_ExploitationWebsitesAndApps", "Multiselect Picklist", "DRAFT", False),
    ("vic_Vulnerabilities", "Multiselect Picklist", "DEPRECATED", True),
    ("vic_DetailsOfVulnerabilities", "Long Text", "DEPRECATED", True),
    ("per_RoleInProcess", "Multiselect Picklist", "DRAFT", False),
    ("per_RoleDetails", "Long Text", "DRAFT", False),
    ("cas_Status", "Picklist", "DRAFT", True),
    ("cas_ReasonForCaseClosure", "Long Text", "DRAFT", True),
    ("cas_CaseOwner", "Lookup [to user]", "DRAFT", True),
    ("cas_ReferringOrganisation", "Lookup [to organisation]", "DRAFT", True),
    ("cas_IncomingReferralDate", "Date", "DRAFT", True),
    ("cas_ReferringPrimaryCaseWorker", "Lookup [to person]", "DRAFT", True),
    ("cas_ReasonForIncomingReferral", "Picklist", "DRAFT", True),
    ("cas_IncomingReferralDetails", "Long Text", "DRAFT", True),
    ("cas_ReferredOrganisation", "Lookup [to organisation]", "DRAFT", True),
    ("cas_ReferredPrimaryCaseWorker", "Lookup [to person]", "DRAFT", True),
    ("cas_ReasonForOutgoingReferral", "Picklist", "DRAFT", True),
    ("cas_OutgoingReferralDate", "Date", "DRAFT", True),
    ("cas_OutgoingReferralDetails", "Long Text", "DRAFT", True),
    ("cco_CaseComment", "Long Text", "DRAFT", False),
    ("hte_Longitude", "Geolocation", "DRAFT", False),
    ("hte_Latitude", "Geolocation", "DRAFT", False),
    ("hte_City", "Text", "DRAFT", False),
    ("hte_Country", "Text", "DRAFT", False),
    ("hte_State", "Text", "DRAFT", False),
    ("hte_Street", "Text", "DRAFT", False),
    ("hte_PostalCode", "Text", "DRAFT", False),
    ("hte_Date", "Date", "DRAFT", False),
    ("hte_Type", "Picklist", "DRAFT", False),
    ("hte_Description", "Long Text", "DRAFT", False),
    ("spl_Objectives", "Long Text", "DRAFT", False),
    ("spl_ActionPlan", "Long Text", "DRAFT", False),
    ("spl_PlannedEndDate", "Date", "DRAFT", False),
    ("spl_ActualEndDate", "Date", "DRAFT", False),
    ("spl_Type", "Picklist", "DRAFT", False),
    ("con_Consent", "Checkbox", "DRAFT", True),
)

_WEBSITES_AND_APPS = (
    "Facebook", "Instagram", "WhatsApp", "Telegram", "FacebookMessenger", "Viber", "SnapChat", "Line",
    "4Sale", "WeChat", "QQ", "QZone", "TikTok", "Twitter", "Other",
)  # fmt: skip
_REFERRAL_REASONS = ("AdditionalServicesRequired", "MigrationOrChangeOfLocation", "Other")

# The value names of every code list, in the standard's order.
CODE_LISTS: Mapping[str, tuple[str, ...]] = {
    "org_Type": (
        "NGO", "LawEnforcement", "HealthServiceOrganisation", "CentralGovernmentOrganisation",
        "LocalGovernmentOrganisation", "ImmigrationService", "LegalService", "CorporateBusiness", "SchoolOrCollege",
    ),
    "prs_Gender": (
        "Feminine", "Masculine", "TransgenderFeminine", "TransgenderMasculine", "NonConforming", "NonSpecifiedUnknown",
    ),
    "prs_MaritalStatus": ("Single", "Married", "Widowed", "Divorced", "Separated", "RegisteredPartnership"),
    # ISCED 2011 levels.
    "prs_HighestLevelOfEducation": (
        "EarlyChildhoodEducation", "PrimaryEducation", "LowerSecondaryEducation", "UpperSecondaryEducation",
        "PostSecondaryNonTertiaryEducation", "ShortCycleTertiaryEducation", "BachelorsOrEquivalentLevel",
        "MastersOrEquivalentLevel", "DoctoralOrEquivalentLevel",
    ),
    "vic_TraffickingStatus": ("PossibleVictimOfTrafficking", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking"),
    "vic_TraffickingStatusDecisionMakingOrg": (
        "Police", "NGO", "CourtOrProsecution", "NonPoliceGovernmentalOrganization", "Other",
    ),
    # "Unaquainted" is spelt so in the standard; the correct spelling is accepted as an alias.
    "vic_RelationshipToTrafficker": ("Familial", "Acquainted", "Unaquainted"),
    "vic_RecruitmentWebsitesAndApps": _WEBSITES_AND_APPS,
    "vic_MethodOfRecruitment": (
        "AtAPlaceOfBusiness", "AtAnEducationalInstitution", "AtWork", "ThroughOnlineSocialNetworks",
        "ThroughAnOnlineAdvertisement", "ThroughATelevisionAdvert", "ThroughANewspaperAdvert",
        "ThroughFamilyOrFamilyEvents", "ThroughFriendsOrSocialEvents", "Other",
    ),
    "vic_MethodsOfControl": (
        "PhysicalThreats", "ThreatsLawEnforcement", "ThreatensChildrenFamily", "DebtBondage", "FalsePromises",
        "PhysicalAbuse", "SexualAbuse", "TakesEarnings", "RestrictsFinancialAccess", "RestrictsMedicalCare",
        "WithholdsNecessities", "PsychologicalAbuse", "PsychoactiveSubstance", "ExcessiveWorkingHours",
        "WithholdsDocuments", "Other",
    ),
    "vic_TypeOfExploitation": (
        "ForcedLabour", "SexualExploitation", "ChildLabour", "ForcedMarriage", "Servitude",
        "ForcedMilitaryByNonStateActors", "OrganRemoval", "ForcedBegging", "ForcedAdoption", "Surrogacy", "Other",
    ),
    # ISIC Rev.4 sections, the letter first.
    "vic_ForcedLabourIndustry": (
        "A_AgricultureForestryAndFishing", "B_MiningAndQuarrying", "C_Manufacturing",
        "D_ElectricityGasSteamAndAirConditioningSupply", "E_WaterSupplySewerageWasteManagement", "F_Construction",
        "G_WholesaleAndRetailTradeRepairOfMotorVehicles", "H_TransportationAndStorage",
        "I_AccommodationAndFoodServiceActivities", "J_InformationAndCommunication",
        "K_FinancialAndInsuranceActivities", "L_RealEstateActivities",
        "M_ProfessionalScientificAndTechnicalActivities", "N_AdministrativeAndSupportServiceActivities",
        "O_PublicAdministrationAndDefence", "P_Education", "Q_HumanHealthAndSocialWorkActivities",
        "R_ArtsEntertainmentAndRecreation", "S_OtherServiceActivities", "T_ActivitiesOfHouseholdsAsEmployers",
        "U_ActivitiesOfExtraterritorialOrganizations",
    ),
    "vic_TypeOfSexExploitation": ("Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices"),
    "vic_ExploitationWebsitesAndApps": _WEBSITES_AND_APPS,
    "vic_Vulnerabilities": (
        "Addiction", "SocialGroup", "Discrimination", "Poverty", "DisabilityAndPhysicalHealth", "MentalHealth",
        "Migration", "Homelessness", "AbuseSocialMedia", "AbusePhysical", "Education", "WorkEnvironment",
    ),
    "per_RoleInProcess": (
        "TravellingPartner", "Transporter", "RecruiterOrIntermediary", "BrokerTravelAgent", "TransferredIndividual",
        "HarbouredIndividual", "SoldIndividual", "BoughtIndividual", "ReceivedIndividual", "ControlledIndividual",
        "Smuggler", "Abuser", "Kidnapper", "Exploiter", "Other",
    ),
    "cas_Status": ("Active", "FollowUp", "Closed", "ClosedReferred"),
    "cas_ReasonForIncomingReferral": _REFERRAL_REASONS,
    "cas_ReasonForOutgoingReferral": _REFERRAL_REASONS,
    "hte_Type": ("Recruitment", "Transit", "Exploitation"),
    "spl_Type": (
        "Education", "Financial", "Health", "LabourExploitationRehabilitation", "Legal", "Livelihood",
        "RightsBasedTraining", "SexualExploitationRehabilitation", "SocialCare",
    ),
}  # fmt: skip

# ---- Ours from here on: how each field is checked, and what else is accepted on import ----------

# Validation kinds. The standard says "Text" for phones, e-mail and the mailing country, and
# "Picklist" for languages; its guidance fixes their formats (E.164, ISO 3166 alpha-2, ISO 639-2).
TEXT, LONG_TEXT, DATE, NUMBER, CHECKBOX = "text", "long_text", "date", "number", "checkbox"
PICKLIST, MULTISELECT = "picklist", "multiselect"
PHONE, EMAIL, COUNTRY, COUNTRIES, LANGUAGE = "phone", "email", "country", "countries", "language"
LATITUDE, LONGITUDE = "latitude", "longitude"

_KIND_OF_TYPE = {
    "Text": TEXT,
    "Long Text": LONG_TEXT,
    "Date": DATE,
    "Number": NUMBER,
    "Geolocation": NUMBER,  # every geolocation field has its latitude or longitude override below
    "Checkbox": CHECKBOX,
    "Picklist": PICKLIST,
    "Multiselect Picklist": MULTISELECT,
    "Picklist or Text": TEXT,
    "Lookup [to organisation]": TEXT,
    "Lookup [to person]": TEXT,
    "Lookup [to user]": TEXT,
}
_KIND_OVERRIDES = {
    "org_Phone": PHONE,
    "prs_HomePhone": PHONE,
    "prs_MobilePhone": PHONE,
    "prs_Email": EMAIL,
    "prs_MailingCountry": COUNTRY,
    "prs_Citizenship": COUNTRIES,
    "prs_PrimaryLanguage": LANGUAGE,
    "prs_SecondaryLanguage": LANGUAGE,
    "org_ShippingLatitude": LATITUDE,
    "org_ShippingLongitude": LONGITUDE,
    "prs_MailingLatitude": LATITUDE,
    "prs_MailingLongitude": LONGITUDE,
    "hte_Latitude": LATITUDE,
    "hte_Longitude": LONGITUDE,
    # A single picklist in the standard, a multiple choice in its XLSForm: several are accepted.
    "vic_ForcedLabourIndustry": MULTISELECT,
}

# The fields that identify a person (or their home): never echoed in an error report, and on
# import stored only in the sealed identity.
IDENTITY_FIELDS = frozenset(
    {
        "prs_Salutation",
        "prs_FirstName",
        "prs_MiddleName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_IdentityNumber",
        "prs_Title",
        "prs_Email",
        "prs_HomePhone",
        "prs_MobilePhone",
        "prs_MailingCity",
        "prs_MailingCountry",
        "prs_MailingState",
        "prs_MailingStreet",
        "prs_MailingPostalCode",
        "prs_MailingLatitude",
        "prs_MailingLongitude",
    }
)


@dataclass(frozen=True)
class Field:
    """One HTCDS field: its system name, the type the standard gives it, and how we check a value."""

    name: str
    standard_type: str
    status: str  # DRAFT or DEPRECATED
    core: bool
    kind: str
    values: tuple[str, ...] = ()  # the code list, for picklists

    @property
    def table(self) -> str:
        """The three-letter prefix: org, prs, vic, per, cas, cco, hte, spl, con."""
        return self.name.split("_", 1)[0]

    @property
    def free_text(self) -> bool:
        """Text a person typed: may hold anything (also names), so it is never echoed."""
        return self.kind in (TEXT, LONG_TEXT)


def _field(name: str, standard_type: str, status: str, core: bool) -> Field:
    kind = _KIND_OVERRIDES.get(name, _KIND_OF_TYPE[standard_type])
    return Field(name, standard_type, status, core, kind, CODE_LISTS.get(name, ()))


FIELDS: Mapping[str, Field] = {row[0]: _field(*row) for row in _FIELDS}

# Extension columns of our de-identified export (HTCDS has no age group, referral year or region).
EXTENSION_PREFIX = "ext_"
EXTENSION_FIELDS: Mapping[str, Field] = {
    "ext_ReferralYear": Field("ext_ReferralYear", "Number", "EXTENSION", False, NUMBER),
    "ext_Region": Field("ext_Region", "Text", "EXTENSION", False, TEXT),
    "ext_AgeBand": Field(
        "ext_AgeBand",
        "Picklist",
        "EXTENSION",
        False,
        PICKLIST,
        ("0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+"),
    ),
    "ext_MajorityStatus": Field("ext_MajorityStatus", "Picklist", "EXTENSION", False, PICKLIST, ("Minor", "Adult")),
}

# Header names seen in the standard's own templates: the Excel template's misspelling. (The
# XLSForm's snake_case names, e.g. prs_First_Name, match anyway: headers are compared without
# case or underscores.)
FIELD_ALIASES: Mapping[str, str] = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg",
}

# Values accepted for a field and stored under the standard's name: the names the definitions
# document uses for methods of control, the label words where they differ from the name, and
# the correct spelling of "Unaquainted".
VALUE_ALIASES: Mapping[str, Mapping[str, str]] = {
    "vic_MethodsOfControl": {
        "Threats": "PhysicalThreats",
        "ThreatOfLawEnforcement": "ThreatsLawEnforcement",
        "ThreatsOfLawEnforcement": "ThreatsLawEnforcement",
        "PsychoactiveSubstances": "PsychoactiveSubstance",
        "UsesChildren": "ThreatensChildrenFamily",
    },
    "prs_Gender": {"NotSpecifiedUnknown": "NonSpecifiedUnknown", "NotSpecified": "NonSpecifiedUnknown"},
    "vic_RelationshipToTrafficker": {"Unacquainted": "Unaquainted"},
    # ISIC's own title of section U (the standard's value name shortens it).
    "vic_ForcedLabourIndustry": {
        "ActivitiesOfExtraterritorialOrganizationsAndBodies": "U_ActivitiesOfExtraterritorialOrganizations"
    },
}
# Values defined by the standard's definitions document but missing from its 2.0 code list.
EXTENSION_VALUES: Mapping[str, tuple[str, ...]] = {"vic_MethodsOfControl": ("RestrictsMovement",)}


def normalised(text: str) -> str:
    """A name reduced to lower-case letters and digits, so that "Forced labour", "forced_labour"
    and "ForcedLabour" (or "prs_First_Name" and "prs_FirstName") compare equal."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def allowed_values(field: Field) -> tuple[str, ...]:
    """The values a field takes on import: its code list, then any extension values."""
    return field.values + EXTENSION_VALUES.get(field.name, ())


def value_lookup(field: Field) -> dict[str, str]:
    """Normalised spelling -> the standard's value name, for every value, alias and label form.

    For ISIC sections the bare letter ("A") and the words without it ("Agriculture forestry and
    fishing") are accepted as well.
    """
    lookup: dict[str, str] = {}
    for value in allowed_values(field):
        lookup[normalised(value)] = value
        if field.name == "vic_ForcedLabourIndustry":
            letter, words = value.split("_", 1)
            lookup[normalised(letter)] = value
            lookup[normalised(words)] = value
    for alias, value in VALUE_ALIASES.get(field.name, {}).items():
        lookup[normalised(alias)] = value
    return lookup


def header_lookup() -> dict[str, str]:
    """Normalised header -> field name, for every field, extension column and alias."""
    lookup = {normalised(name): name for name in (*FIELDS, *EXTENSION_FIELDS)}
    for alias, name in FIELD_ALIASES.items():
        lookup[normalised(alias)] = name
    return lookup
