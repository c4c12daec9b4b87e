//! The entities the simulator serves: their fields (from the reference's field lists),
//! what may be written, what is required, which URLs reach them.
//!
//! Each entity's fields are a compact spec string so the table reads like the
//! reference: `name type [flags]`, comma separated. Flags: `req` required on create,
//! `ro` read-only (ignored in bodies), `once` settable on create only, `nq` not
//! queryable, `created` / `modified` maintained timestamps, `->Entity` reference,
//! `=json` default on create, `max=N` longest string (UTF-16 code units, as .NET
//! counts; only where the reference or the entity docs give a length).

use serde_json::Value;
use std::sync::LazyLock;

/// A field's wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Num,
    Str,
    Bool,
    DateTime,
}

impl Kind {
    /// The lower-case `dataType` that `entityInformation/fields` reports.
    pub fn data_type(self) -> &'static str {
        match self {
            Kind::Int => "integer",
            Kind::Num => "double",
            Kind::Str => "string",
            Kind::Bool => "boolean",
            Kind::DateTime => "datetime",
        }
    }
    /// The .NET type named in conversion errors, as Autotask's JSON binder words them.
    pub fn dotnet(self) -> &'static str {
        match self {
            Kind::Int => "System.Int32",
            Kind::Num => "System.Decimal",
            Kind::Str => "System.String",
            Kind::Bool => "System.Boolean",
            Kind::DateTime => "System.DateTime",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub read_only: bool,
    pub create_only: bool,
    pub queryable: bool,
    pub created_stamp: bool,
    pub modified_stamp: bool,
    pub reference: Option<&'static str>,
    pub default: Option<Value>,
    pub max_len: Option<usize>,
}

/// Which operations the entity's own (flat) URL supports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ops {
    pub query: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

/// A child collection URL: `/{parent_path}/{id}/{segment}` reaches `entity`.
#[derive(Debug, Clone, Copy)]
pub struct ChildRoute {
    /// The parent entity.
    pub parent: &'static str,
    /// The parent's name in the URL: the entity's own name, except for list items
    /// (`/UserDefinedFields/{udfId}/ListItems` under UserDefinedFieldDefinitions).
    pub parent_path: &'static str,
    pub segment: &'static str,
    pub entity: &'static str,
    /// The child's field holding the parent id.
    pub parent_field: &'static str,
    pub list: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

#[derive(Debug)]
pub struct Entity {
    pub name: &'static str,
    pub fields: Vec<Field>,
    /// Operations on the flat URL (child entities write through [`ChildRoute`]s).
    pub ops: Ops,
    /// The `udfType` code of this entity's user-defined fields, when it has any.
    pub udf_type: Option<i64>,
    pub webhooks: bool,
}

impl Entity {
    /// Case-insensitive field lookup, as Autotask binds names.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
    pub fn has_udfs(&self) -> bool {
        self.udf_type.is_some()
    }
    /// Child routes through which this entity is written.
    pub fn write_routes(&self) -> impl Iterator<Item = &'static ChildRoute> {
        CHILD_ROUTES.iter().filter(move |r| r.entity == self.name)
    }
}

/// `udfType` codes (unconfirmed: only 7 = Ticket was reported; the rest are this
/// simulator's choice and are published as the picklist of
/// `UserDefinedFieldDefinitions.udfType`, which clients must read).
pub mod udf_type {
    pub const COMPANY: i64 = 1;
    pub const CONTACT: i64 = 2;
    pub const TICKET: i64 = 7;
    pub const CONTRACT: i64 = 10;
}

/// `dataType` codes of UDF definitions (unconfirmed except 1 = text; published as a picklist).
pub mod udf_data_type {
    pub const TEXT: i64 = 1;
    pub const NUMBER: i64 = 2;
    pub const DATE: i64 = 3;
    /// A list UDF: an entity holds the `valueForExport` of one of its
    /// `UserDefinedFieldListItems`.
    pub const LIST: i64 = 4;
}

const ALL: Ops = Ops {
    query: true,
    create: true,
    update: true,
    delete: false,
};
const READ: Ops = Ops {
    query: true,
    create: false,
    update: false,
    delete: false,
};
const CREATE_ONLY: Ops = Ops {
    query: false,
    create: true,
    update: false,
    delete: false,
};

const COMPANIES: &str = "id i64 ro, additionalAddressInformation str, address1 str, address2 str, \
    alternatePhone1 str, alternatePhone2 str, apiVendorID i32 ro, assetValue num, \
    billToCompanyLocationID i32, billToAdditionalAddressInformation str, billingAddress1 str, \
    billingAddress2 str, billToAddressToUse i32, billToAttention str, billToCity str, \
    billToCountryID i32, billToState str, billToZipCode str, city str, classification i32, \
    companyCategoryID i32, companyName str req, companyNumber str, companyType i32 req, \
    competitorID i32, countryID i32, createDate dt created, createdByResourceID i32 ro, \
    currencyID i32, fax str, impersonatorCreatorResourceID i32 ro, invoiceEmailMessageID i32, \
    invoiceMethod i32, invoiceNonContractItemsToParentCompany bool, invoiceTemplateID i32, \
    isActive bool =true, isClientPortalActive bool ro, isEnabledForComanaged bool, \
    isTaskFireActive bool ro, isTaxExempt bool, lastActivityDate dt ro, \
    lastTrackedModifiedDateTime dt modified, marketSegmentID i32, \
    ownerResourceID i32 req ->Resources, parentCompanyID i32 ->Companies, phone str req, \
    postalCode str, purchaseOrderTemplateID i32, quoteEmailMessageID i32, quoteTemplateID i32, \
    sicCode str, state str, stockMarket str, stockSymbol str, surveyCompanyRating num ro, \
    taxID str, taxRegionID i32, territoryID i32, webAddress str";

const CONTACTS: &str = "id i64 ro, additionalAddressInformation str, addressLine str, \
    addressLine1 str, alternatePhone str, apiVendorID i32 ro, bulkEmailOptOutTime dt ro, city str, \
    companyID i32 req once ->Companies, companyLocationID i32, countryID i32, \
    createDate dt created, emailAddress str, emailAddress2 str, emailAddress3 str, extension str, \
    externalID str, facebookUrl str, faxNumber str, firstName str req, \
    impersonatorCreatorResourceID i32 ro, isActive i32 req, isOptedOutFromBulkEmail bool nq, \
    lastActivityDate dt ro, lastModifiedDate dt modified, lastName str req, linkedInUrl str, \
    middleInitial str, mobilePhone str, namePrefix i32, nameSuffix i32, note str, \
    receivesEmailNotifications bool, phone str, primaryContact bool =false, roomNumber str, \
    solicitationOptOut bool nq, solicitationOptOutTime dt ro, state str, surveyOptOut bool nq, \
    title str, twitterUrl str, zipCode str";

const CONTRACTS: &str = "id i64 ro, billingPreference i32 =2, billToCompanyContactID i32, \
    billToCompanyID i32, companyID i32 req once ->Companies, contactID i32 ->Contacts, \
    contactName str, contractCategory i32, contractExclusionSetID i32, contractName str req, \
    contractNumber str, contractPeriodType i32 once =1, contractType i32 req once, \
    description str, endDate dt req, estimatedCost num, estimatedHours num, \
    estimatedRevenue num, exclusionContractID i64 ro, internalCurrencyOverageBillingRate num ro, \
    internalCurrencySetupFee num ro, isCompliant bool =true, isDefaultContract bool =false, \
    lastModifiedDateTime dt modified, opportunityID i32, organizationalLevelAssociationID i32, \
    overageBillingRate num, purchaseOrderNumber str, renewedContractID i64, \
    serviceLevelAgreementID i32, setupFee num, setupFeeBillingCodeID i64, startDate dt req, \
    status i32 req, timeReportingRequiresStartAndStopTimes i32 req";

const CONTRACT_SERVICES: &str = "id i64 ro, adjustedPrice num, contractID i32 req once ->Contracts, \
    internalCurrencyAdjustedPrice num ro, internalCurrencyUnitPrice num ro, \
    internalDescription str, invoiceDescription str, quoteItemID i64 once, \
    serviceID i32 req once ->Services, unitCost num once, unitPrice num once";

const CONTRACT_SERVICE_UNITS: &str = "id i64 ro, approveAndPostDate dt ro, contractID i32 ro, \
    contractServiceID i32 ro, cost num ro, endDate dt ro, internalCurrencyPrice num ro, \
    organizationalLevelAssociationID i32 ro, price num ro, serviceID i32 ro, startDate dt ro, \
    units i32 ro, vendorCompanyID i32 ro";

const CONTRACT_SERVICE_ADJUSTMENTS: &str = "id i64 ro, adjustedUnitCost num, adjustedUnitPrice num, \
    allowRepeatService bool, contractID i32 req ->Contracts, \
    contractServiceID i32 ->ContractServices, effectiveDate dt req, quoteItemID i32, \
    serviceID i32 ->Services, unitChange i32 req";

const CONTRACT_SERVICE_BUNDLES: &str = "id i64 ro, adjustedPrice num, \
    contractID i32 req once ->Contracts, internalCurrencyAdjustedPrice num ro, \
    internalCurrencyUnitPrice num ro, internalDescription str, invoiceDescription str, \
    quoteItemID i64 once, serviceBundleID i32 req once ->ServiceBundles, unitPrice num once";

const CONTRACT_SERVICE_BUNDLE_UNITS: &str = "id i64 ro, approveAndPostDate dt ro, \
    contractID i32 ro, contractServiceBundleID i32 ro, cost num ro, endDate dt ro, \
    internalCurrencyPrice num ro, organizationalLevelAssociationID i32 ro, price num ro, \
    serviceBundleID i32 ro, startDate dt ro, units i32 ro";

const CONTRACT_SERVICE_BUNDLE_ADJUSTMENTS: &str = "id i64 ro, adjustedUnitPrice num, \
    allowRepeatServiceBundle bool, contractID i32 req ->Contracts, \
    contractServiceBundleID i32 ->ContractServiceBundles, effectiveDate dt req, \
    quoteItemID i32, serviceBundleID i32 ->ServiceBundles, unitChange i32 req";

const SERVICES: &str = "id i64 ro, billingCodeID i32 req ->BillingCodes, \
    catalogNumberPartNumber str, createDate dt created, creatorResourceID i32 ro, \
    description str, internalID str, invoiceDescription str, isActive bool =true, \
    lastModifiedDate dt modified, manufacturerServiceProvider str, \
    manufacturerServiceProviderProductNumber str, markupRate num ro, name str req, \
    periodType i32 req, serviceLevelAgreementID i64, sku str, unitCost num, unitPrice num req, \
    updateResourceID i32 ro, vendorCompanyID i32 ->Companies";

const SERVICE_BUNDLES: &str = "id i64 ro, billingCodeID i32 req ->BillingCodes, \
    createDate dt created, creatorResourceID i32 ro, description str, invoiceDescription str, \
    isActive bool =true, lastModifiedDate dt modified, name str req, percentageDiscount num, \
    periodType i32 req, serviceLevelAgreementID i64, unitCost num ro, unitDiscount num, \
    unitPrice num, updateResourceID i32 ro";

const SERVICE_BUNDLE_SERVICES: &str = "id i64 ro, serviceBundleID i64 req once ->ServiceBundles, \
    serviceID i64 req once ->Services";

const BILLING_CODES: &str = "id i64 ro, afterHoursWorkType i32, billingCodeType i32 ro, \
    department i32, description str, externalNumber str, generalLedgerAccount i32 ro, \
    isActive bool ro, isExcludedFromNewContracts bool, markupRate num ro, name str, \
    taxCategoryID i32, unitCost num, unitPrice num, useType i32";

const UDF_DEFINITIONS: &str = "id i64 ro, createDate dt created, crmToProjectUdfId i64, \
    dataType i32 req once, defaultValue str, description str, displayFormat i32, \
    isActive bool =true, isEncrypted bool =false, isFieldMapping bool =false, \
    isPrivate bool =false, isProtected bool =false, isRequired bool =false, \
    isVisibleToClientPortal bool =false, mergeVariableName str, name str req, \
    numberOfDecimalPlaces i32, sortOrder i32, udfType i32 req once";

const UDF_LIST_ITEMS: &str = "id i64 ro, createDate dt created, isActive bool =true, \
    udfFieldId i64 req once ->UserDefinedFieldDefinitions, valueForDisplay str req max=128, \
    valueForExport str req max=128";

const TICKETS: &str = "id i64 ro, apiVendorID i32 ro, assignedResourceID i32 ->Resources, \
    assignedResourceRoleID i32, billingCodeID i32 ->BillingCodes, changeApprovalBoard i32, \
    changeApprovalStatus i32, changeApprovalType i32, changeInfoField1 str, \
    changeInfoField2 str, changeInfoField3 str, changeInfoField4 str, changeInfoField5 str, \
    companyID i32 req ->Companies, companyLocationID i32, completedByResourceID i32 ro, \
    completedDate dt ro, configurationItemID i32, contactID i32 ->Contacts, \
    contractID i32 ->Contracts, contractServiceBundleID i64, contractServiceID i64, \
    createDate dt created, createdByContactID i32 ro, creatorResourceID i32 ro, \
    creatorType i32 ro nq, currentServiceThermometerRating i32 ro, description str max=8000, \
    dueDateTime dt, estimatedHours num, externalID str max=50, \
    firstResponseAssignedResourceID i32 ro, \
    firstResponseDateTime dt ro, firstResponseDueDateTime dt ro, \
    firstResponseInitiatingResourceID i32 ro, hoursToBeScheduled num, \
    impersonatorCreatorResourceID i32 ro, issueType i32, lastActivityDate dt modified, \
    lastActivityPersonType i32 ro nq, lastActivityResourceID i32 ro, \
    lastCustomerNotificationDateTime dt ro, lastCustomerVisibleActivityDateTime dt ro, \
    lastTrackedModificationDateTime dt modified, monitorID i64, monitorTypeID i32, \
    opportunityID i32, organizationalLevelAssociationID i32, \
    previousServiceThermometerRating i32 ro, priority i32 req, problemTicketId i32, \
    projectID i32, purchaseOrderNumber str, queueID i32 req, resolution str max=32000, \
    resolutionPlanDateTime dt ro, resolutionPlanDueDateTime dt ro, resolvedDateTime dt ro, \
    resolvedDueDateTime dt ro, rmaStatus i32, rmaType i32, rmmAlertID str, \
    serviceLevelAgreementHasBeenMet bool ro, serviceLevelAgreementID i32, \
    serviceLevelAgreementPausedNextEventHours num ro, serviceThermometerTemperature i32 ro, \
    source i32, status i32 req, subIssueType i32, ticketCategory i32, ticketNumber str ro, \
    ticketType i32 =1, title str req max=255";

const TICKET_NOTES: &str = "id i64 ro, createDateTime dt created, createdByContactID i32 ro, \
    creatorResourceID i32 ro, description str req max=32000, impersonatorCreatorResourceID i32 ro, \
    impersonatorUpdaterResourceID i32 ro, lastActivityDate dt modified, noteType i32 req, \
    publish i32 req, ticketID i32 req once ->Tickets, title str max=250";

const RESOURCES: &str = "id i64 ro, email str, firstName str, isActive bool, lastName str, \
    resourceType str, title str, userName str, userType i32";

/// Child collection URLs (reference 3.2), limited to the entities simulated here.
pub static CHILD_ROUTES: &[ChildRoute] = &[
    child(
        "Companies",
        "Contacts",
        "Contacts",
        "companyID",
        true,
        true,
        true,
        true,
    ),
    child(
        "Contracts",
        "Services",
        "ContractServices",
        "contractID",
        true,
        true,
        true,
        false,
    ),
    child(
        "Contracts",
        "ServiceUnits",
        "ContractServiceUnits",
        "contractID",
        true,
        false,
        false,
        false,
    ),
    child(
        "Contracts",
        "ServiceAdjustments",
        "ContractServiceAdjustments",
        "contractID",
        false,
        true,
        false,
        false,
    ),
    child(
        "Contracts",
        "ServiceBundles",
        "ContractServiceBundles",
        "contractID",
        true,
        true,
        true,
        false,
    ),
    child(
        "Contracts",
        "ServiceBundleUnits",
        "ContractServiceBundleUnits",
        "contractID",
        true,
        false,
        false,
        false,
    ),
    child(
        "Contracts",
        "ServiceBundleAdjustments",
        "ContractServiceBundleAdjustments",
        "contractID",
        false,
        true,
        false,
        false,
    ),
    child(
        "ServiceBundles",
        "Services",
        "ServiceBundleServices",
        "serviceBundleID",
        true,
        true,
        false,
        true,
    ),
    child(
        "Tickets",
        "Notes",
        "TicketNotes",
        "ticketID",
        true,
        true,
        true,
        false,
    ),
    ChildRoute {
        parent_path: "UserDefinedFields",
        ..child(
            "UserDefinedFieldDefinitions",
            "ListItems",
            "UserDefinedFieldListItems",
            "udfFieldId",
            true,
            true,
            true,
            false,
        )
    },
];

#[allow(clippy::too_many_arguments)]
const fn child(
    parent: &'static str,
    segment: &'static str,
    entity: &'static str,
    parent_field: &'static str,
    list: bool,
    create: bool,
    update: bool,
    delete: bool,
) -> ChildRoute {
    ChildRoute {
        parent,
        parent_path: parent,
        segment,
        entity,
        parent_field,
        list,
        create,
        update,
        delete,
    }
}

static CATALOGUE: LazyLock<Vec<Entity>> = LazyLock::new(|| {
    let flat_read = READ;
    vec![
        entity("Companies", COMPANIES, ALL, Some(udf_type::COMPANY), true),
        entity(
            "Contacts",
            CONTACTS,
            flat_read,
            Some(udf_type::CONTACT),
            true,
        ),
        entity("Contracts", CONTRACTS, ALL, Some(udf_type::CONTRACT), false),
        entity(
            "ContractServices",
            CONTRACT_SERVICES,
            flat_read,
            None,
            false,
        ),
        entity(
            "ContractServiceUnits",
            CONTRACT_SERVICE_UNITS,
            READ,
            None,
            false,
        ),
        entity(
            "ContractServiceAdjustments",
            CONTRACT_SERVICE_ADJUSTMENTS,
            CREATE_ONLY,
            None,
            false,
        ),
        entity(
            "ContractServiceBundles",
            CONTRACT_SERVICE_BUNDLES,
            flat_read,
            None,
            false,
        ),
        entity(
            "ContractServiceBundleUnits",
            CONTRACT_SERVICE_BUNDLE_UNITS,
            READ,
            None,
            false,
        ),
        entity(
            "ContractServiceBundleAdjustments",
            CONTRACT_SERVICE_BUNDLE_ADJUSTMENTS,
            CREATE_ONLY,
            None,
            false,
        ),
        entity("Services", SERVICES, ALL, None, false),
        entity(
            "ServiceBundles",
            SERVICE_BUNDLES,
            Ops {
                delete: true,
                ..ALL
            },
            None,
            false,
        ),
        entity(
            "ServiceBundleServices",
            SERVICE_BUNDLE_SERVICES,
            flat_read,
            None,
            false,
        ),
        entity("BillingCodes", BILLING_CODES, READ, None, false),
        entity(
            "UserDefinedFieldDefinitions",
            UDF_DEFINITIONS,
            ALL,
            None,
            false,
        ),
        entity(
            "UserDefinedFieldListItems",
            UDF_LIST_ITEMS,
            READ,
            None,
            false,
        ),
        entity("Tickets", TICKETS, ALL, Some(udf_type::TICKET), true),
        entity("TicketNotes", TICKET_NOTES, flat_read, None, true),
        entity("Resources", RESOURCES, READ, None, false),
    ]
});

fn entity(
    name: &'static str,
    spec: &'static str,
    ops: Ops,
    udf_type: Option<i64>,
    webhooks: bool,
) -> Entity {
    Entity {
        name,
        fields: spec.split(',').map(parse_field).collect(),
        ops,
        udf_type,
        webhooks,
    }
}

/// Parses one `name type flags…` item of a spec string. The specs are constants of this
/// module, so a malformed one is a programming error caught by the tests.
fn parse_field(item: &'static str) -> Field {
    let mut words = item.split_whitespace();
    let name = words.next().unwrap_or_default();
    let kind = match words.next().unwrap_or_default() {
        "i64" | "i32" => Kind::Int,
        "num" => Kind::Num,
        "bool" => Kind::Bool,
        "dt" => Kind::DateTime,
        _ => Kind::Str,
    };
    let mut field = Field {
        name,
        kind,
        required: false,
        read_only: false,
        create_only: false,
        queryable: true,
        created_stamp: false,
        modified_stamp: false,
        reference: None,
        default: None,
        max_len: None,
    };
    for flag in words {
        match flag {
            "req" => field.required = true,
            "ro" => field.read_only = true,
            "once" => field.create_only = true,
            "nq" => field.queryable = false,
            "created" => {
                field.created_stamp = true;
                field.read_only = true;
            }
            "modified" => {
                field.modified_stamp = true;
                field.read_only = true;
            }
            _ => {
                if let Some(target) = flag.strip_prefix("->") {
                    field.reference = Some(target);
                } else if let Some(json) = flag.strip_prefix('=') {
                    field.default = serde_json::from_str(json).ok();
                } else if let Some(n) = flag.strip_prefix("max=") {
                    field.max_len = n.parse().ok();
                }
            }
        }
    }
    field
}

/// Every simulated entity.
pub fn all() -> &'static [Entity] {
    &CATALOGUE
}

/// Case-insensitive entity lookup (`companies`, `COMPANIES` …).
pub fn find(name: &str) -> Option<&'static Entity> {
    CATALOGUE.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

/// The entity with this exact canonical name; the names are constants of this crate.
pub fn get(name: &str) -> &'static Entity {
    match find(name) {
        Some(e) => e,
        None => panic!("simulator bug: no entity named {name}"),
    }
}

/// The child route `/{parent_path}/{id}/{segment}` (case-insensitive).
pub fn child_route(parent_path: &str, segment: &str) -> Option<&'static ChildRoute> {
    CHILD_ROUTES.iter().find(|r| {
        r.parent_path.eq_ignore_ascii_case(parent_path) && r.segment.eq_ignore_ascii_case(segment)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_into_sane_fields() {
        for e in all() {
            assert_eq!(e.fields[0].name, "id", "{} starts with id", e.name);
            for f in &e.fields {
                assert!(!f.name.is_empty(), "{} has an empty field name", e.name);
                if let Some(target) = f.reference {
                    assert!(find(target).is_some(), "{}.{} -> {target}", e.name, f.name);
                }
            }
            let mut names: Vec<_> = e
                .fields
                .iter()
                .map(|f| f.name.to_ascii_lowercase())
                .collect();
            names.sort();
            names.dedup();
            assert_eq!(
                names.len(),
                e.fields.len(),
                "{} has duplicate fields",
                e.name
            );
        }
        for r in CHILD_ROUTES {
            let child = get(r.entity);
            assert!(
                child.field(r.parent_field).is_some(),
                "{}.{}",
                r.entity,
                r.parent_field
            );
            assert!(find(r.parent).is_some());
        }
    }

    #[test]
    fn lookups_are_case_insensitive() {
        assert_eq!(find("companies").map(|e| e.name), Some("Companies"));
        let companies = get("Companies");
        assert_eq!(
            companies.field("COMPANYNAME").map(|f| f.name),
            Some("companyName")
        );
        assert!(companies.field("companyName").is_some_and(|f| f.required));
        assert_eq!(
            companies.field("isActive").and_then(|f| f.default.clone()),
            Some(Value::Bool(true))
        );
        assert_eq!(
            child_route("contracts", "serviceadjustments").map(|r| r.entity),
            Some("ContractServiceAdjustments")
        );
        assert_eq!(
            child_route("userdefinedfields", "listitems").map(|r| r.parent),
            Some("UserDefinedFieldDefinitions")
        );
        assert_eq!(
            get("Contacts").field("isActive").map(|f| f.kind),
            Some(Kind::Int)
        );
    }
}
