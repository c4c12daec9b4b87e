//! The MSP's catalogue: services, bundles and allocation (billing) codes.

use super::model;
use chrono::{DateTime, Utc};

model! {
    /// `/Services`: a recurring service that contracts can hold.
    Service = "Services" + user_defined_fields {
        name: String = "name",
        description: String = "description",
        invoice_description: String = "invoiceDescription",
        billing_code_id: i64 = "billingCodeID",
        /// Integer picklist (monthly, quarterly, …); read the codes at runtime.
        period_type: i64 = "periodType",
        unit_price: f64 = "unitPrice",
        unit_cost: f64 = "unitCost",
        markup_rate: f64 = "markupRate",
        is_active: bool = "isActive",
        service_level_agreement_id: i64 = "serviceLevelAgreementID",
        vendor_company_id: i64 = "vendorCompanyID",
        creator_resource_id: i64 = "creatorResourceID",
        update_resource_id: i64 = "updateResourceID",
        sku: String = "sku",
        catalog_number_part_number: String = "catalogNumberPartNumber",
        internal_id: String = "internalID",
        #[serde(with = "crate::datetime::opt")]
        create_date: DateTime<Utc> = "createDate",
        #[serde(with = "crate::datetime::opt")]
        last_modified_date: DateTime<Utc> = "lastModifiedDate",
    }
}

model! {
    /// `/ServiceBundles`: several services sold as one.
    ServiceBundle = "ServiceBundles" {
        name: String = "name",
        description: String = "description",
        invoice_description: String = "invoiceDescription",
        billing_code_id: i64 = "billingCodeID",
        period_type: i64 = "periodType",
        unit_price: f64 = "unitPrice",
        unit_cost: f64 = "unitCost",
        unit_discount: f64 = "unitDiscount",
        percentage_discount: f64 = "percentageDiscount",
        is_active: bool = "isActive",
        service_level_agreement_id: i64 = "serviceLevelAgreementID",
        creator_resource_id: i64 = "creatorResourceID",
        update_resource_id: i64 = "updateResourceID",
        #[serde(with = "crate::datetime::opt")]
        create_date: DateTime<Utc> = "createDate",
        #[serde(with = "crate::datetime::opt")]
        last_modified_date: DateTime<Utc> = "lastModifiedDate",
    }
}

model! {
    /// `/ServiceBundleServices`: one service inside a bundle; written through
    /// `/ServiceBundles/{id}/Services`.
    ServiceBundleService = "ServiceBundleServices" {
        service_bundle_id: i64 = "serviceBundleID",
        service_id: i64 = "serviceID",
    }
}

model! {
    /// `/BillingCodes` (query-only): allocation codes; new services need an active
    /// Recurring Contract Service code.
    BillingCode = "BillingCodes" {
        name: String = "name",
        description: String = "description",
        external_number: String = "externalNumber",
        billing_code_type: i64 = "billingCodeType",
        use_type: i64 = "useType",
        is_active: bool = "isActive",
        is_excluded_from_new_contracts: bool = "isExcludedFromNewContracts",
        department: i64 = "department",
        general_ledger_account: i64 = "generalLedgerAccount",
        tax_category_id: i64 = "taxCategoryID",
        after_hours_work_type: i64 = "afterHoursWorkType",
        unit_price: f64 = "unitPrice",
        unit_cost: f64 = "unitCost",
        markup_rate: f64 = "markupRate",
    }
}
