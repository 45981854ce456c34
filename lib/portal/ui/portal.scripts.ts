import { SCRIPT_BOOT } from './portal.script-boot';
import { SCRIPT_ENDPOINT } from './portal.script-endpoint';
import { SCRIPT_FORM } from './portal.script-form';
import { SCRIPT_OVERVIEW } from './portal.script-overview';
import { SCRIPT_SESSION } from './portal.script-session';

/** The portal's own script parts, in order (they run after the dashboard's helpers, in the same scope). */
export const PORTAL_SCRIPTS = `${SCRIPT_SESSION}${SCRIPT_OVERVIEW}${SCRIPT_ENDPOINT}${SCRIPT_FORM}${SCRIPT_BOOT}`;
