import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/**
 * The AWS SDK clients' credentials in a deployed function. Lambda gives every function its role's
 * credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * which is the first link of the SDK's default chain and the one that answers there. The deployed
 * bundles use this module in place of @aws-sdk/credential-provider-node (serverless.yml,
 * custom.esbuild.alias): the chain's other links (SSO, profiles, web identity, container and
 * instance metadata) are 230 KB that every cold start compiled for nothing, about 10 ms
 * (npm run bench:cold). `npm start` and the tests keep the whole chain.
 */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);
