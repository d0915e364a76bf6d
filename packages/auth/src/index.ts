export { bearerToken, generateApiKey, hashApiKey, KEY_PREFIX_TAG, parseApiKey, verifyApiKey, type GeneratedKey } from "./api-key.ts";
export { hashPassword, verifyPassword } from "./password.ts";
export { isScope, SCOPES, type Scope } from "./scopes.ts";
