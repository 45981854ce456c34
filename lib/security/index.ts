/** SSRF guard and webhook URL validation. */
export * from './ssrf';
export * from './url-validation';
