export * from './webhook-subscription.service';
export * from './subscription-validation';
