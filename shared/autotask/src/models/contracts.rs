//! Recurring-service contracts and the service/unit/adjustment family around them.
//!
//! ContractServices carry no count: the count is the `units` of the
//! ContractServiceUnits row covering a date. Adjustments are create-only and can never
//! be read back; bundles mirror services.

use super::model;
use chrono::{DateTime, Utc};

model! {
    /// `/Contracts`. No `isActive`: use `status` (1 = active, unconfirmed; read the
    /// picklist). `contractType` 7 = Recurring Service.
    Contract = "Contracts" + user_defined_fields {
        company_id: i64 = "companyID",
        contract_name: String = "contractName",
        contract_number: String = "contractNumber",
        contract_type: i64 = "contractType",
        contract_category: i64 = "contractCategory",
        contract_period_type: i64 = "contractPeriodType",
        status: i64 = "status",
        #[serde(with = "crate::datetime::opt")]
        start_date: DateTime<Utc> = "startDate",
        #[serde(with = "crate::datetime::opt")]
        end_date: DateTime<Utc> = "endDate",
        billing_preference: i64 = "billingPreference",
        bill_to_company_id: i64 = "billToCompanyID",
        bill_to_company_contact_id: i64 = "billToCompanyContactID",
        contact_id: i64 = "contactID",
        contact_name: String = "contactName",
        description: String = "description",
        is_compliant: bool = "isCompliant",
        is_default_contract: bool = "isDefaultContract",
        opportunity_id: i64 = "opportunityID",
        organizational_level_association_id: i64 = "organizationalLevelAssociationID",
        purchase_order_number: String = "purchaseOrderNumber",
        renewed_contract_id: i64 = "renewedContractID",
        service_level_agreement_id: i64 = "serviceLevelAgreementID",
        setup_fee: f64 = "setupFee",
        setup_fee_billing_code_id: i64 = "setupFeeBillingCodeID",
        overage_billing_rate: f64 = "overageBillingRate",
        estimated_cost: f64 = "estimatedCost",
        estimated_hours: f64 = "estimatedHours",
        estimated_revenue: f64 = "estimatedRevenue",
        exclusion_contract_id: i64 = "exclusionContractID",
        contract_exclusion_set_id: i64 = "contractExclusionSetID",
        time_reporting_requires_start_and_stop_times: i64 = "timeReportingRequiresStartAndStopTimes",
        #[serde(with = "crate::datetime::opt")]
        last_modified_date_time: DateTime<Utc> = "lastModifiedDateTime",
    }
}

model! {
    /// `/ContractServices`; written through `/Contracts/{id}/Services`.
    ContractService = "ContractServices" {
        contract_id: i64 = "contractID",
        service_id: i64 = "serviceID",
        unit_price: f64 = "unitPrice",
        unit_cost: f64 = "unitCost",
        adjusted_price: f64 = "adjustedPrice",
        internal_currency_adjusted_price: f64 = "internalCurrencyAdjustedPrice",
        internal_currency_unit_price: f64 = "internalCurrencyUnitPrice",
        internal_description: String = "internalDescription",
        invoice_description: String = "invoiceDescription",
        quote_item_id: i64 = "quoteItemID",
    }
}

model! {
    /// `/ContractServiceUnits` (read-only): the unit count of a contract service over
    /// one date range.
    ContractServiceUnit = "ContractServiceUnits" {
        contract_id: i64 = "contractID",
        contract_service_id: i64 = "contractServiceID",
        service_id: i64 = "serviceID",
        units: i64 = "units",
        #[serde(with = "crate::datetime::opt")]
        start_date: DateTime<Utc> = "startDate",
        #[serde(with = "crate::datetime::opt")]
        end_date: DateTime<Utc> = "endDate",
        #[serde(with = "crate::datetime::opt")]
        approve_and_post_date: DateTime<Utc> = "approveAndPostDate",
        price: f64 = "price",
        cost: f64 = "cost",
        internal_currency_price: f64 = "internalCurrencyPrice",
        organizational_level_association_id: i64 = "organizationalLevelAssociationID",
        vendor_company_id: i64 = "vendorCompanyID",
    }
}

model! {
    /// `/ContractServiceAdjustments` (create-only): add or remove units from a date.
    /// Additive, so never resend one that may have been applied.
    ContractServiceAdjustment = "ContractServiceAdjustments" {
        contract_id: i64 = "contractID",
        contract_service_id: i64 = "contractServiceID",
        service_id: i64 = "serviceID",
        unit_change: i64 = "unitChange",
        #[serde(with = "crate::datetime::opt")]
        effective_date: DateTime<Utc> = "effectiveDate",
        adjusted_unit_price: f64 = "adjustedUnitPrice",
        adjusted_unit_cost: f64 = "adjustedUnitCost",
        allow_repeat_service: bool = "allowRepeatService",
        quote_item_id: i64 = "quoteItemID",
    }
}

model! {
    /// `/ContractServiceBundles`; written through `/Contracts/{id}/ServiceBundles`.
    ContractServiceBundle = "ContractServiceBundles" {
        contract_id: i64 = "contractID",
        service_bundle_id: i64 = "serviceBundleID",
        unit_price: f64 = "unitPrice",
        adjusted_price: f64 = "adjustedPrice",
        internal_currency_adjusted_price: f64 = "internalCurrencyAdjustedPrice",
        internal_currency_unit_price: f64 = "internalCurrencyUnitPrice",
        internal_description: String = "internalDescription",
        invoice_description: String = "invoiceDescription",
        quote_item_id: i64 = "quoteItemID",
    }
}

model! {
    /// `/ContractServiceBundleUnits` (read-only).
    ContractServiceBundleUnit = "ContractServiceBundleUnits" {
        contract_id: i64 = "contractID",
        contract_service_bundle_id: i64 = "contractServiceBundleID",
        service_bundle_id: i64 = "serviceBundleID",
        units: i64 = "units",
        #[serde(with = "crate::datetime::opt")]
        start_date: DateTime<Utc> = "startDate",
        #[serde(with = "crate::datetime::opt")]
        end_date: DateTime<Utc> = "endDate",
        #[serde(with = "crate::datetime::opt")]
        approve_and_post_date: DateTime<Utc> = "approveAndPostDate",
        price: f64 = "price",
        cost: f64 = "cost",
        internal_currency_price: f64 = "internalCurrencyPrice",
        organizational_level_association_id: i64 = "organizationalLevelAssociationID",
    }
}

model! {
    /// `/ContractServiceBundleAdjustments` (create-only; quantity only, never price).
    ContractServiceBundleAdjustment = "ContractServiceBundleAdjustments" {
        contract_id: i64 = "contractID",
        contract_service_bundle_id: i64 = "contractServiceBundleID",
        service_bundle_id: i64 = "serviceBundleID",
        unit_change: i64 = "unitChange",
        #[serde(with = "crate::datetime::opt")]
        effective_date: DateTime<Utc> = "effectiveDate",
        adjusted_unit_price: f64 = "adjustedUnitPrice",
        allow_repeat_service_bundle: bool = "allowRepeatServiceBundle",
        quote_item_id: i64 = "quoteItemID",
    }
}

impl ContractServiceUnit {
    /// Whether this row's date range covers `at` (both ends inclusive, as Autotask
    /// stores whole days).
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.start_date.is_some_and(|s| s <= at) && self.end_date.is_none_or(|e| at <= e)
    }
}
