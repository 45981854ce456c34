/** SSRF guard and webhook URL validation. */
export { classifyAddress, type AddressClassification } from './address-policy';
export { parseAllowList, type AllowList } from './allowed-hosts';
export { checkUrlTarget, createGuardedConnector, createGuardedLookup, type GuardedConnectorOptions } from './guarded-lookup';
export { checkAddress, findSsrfError, isSsrfError, SSRF_ERROR_CODE, SsrfBlockedError, type SsrfPolicy } from './ssrf-refusal';
export * from './url-validation';
