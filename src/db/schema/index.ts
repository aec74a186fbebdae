export { customers } from "./customers";
export { sources } from "./sources";
export { endpoints } from "./endpoints";
export { receipts } from "./receipts";
export { events } from "./events";
export { deliveries } from "./deliveries";
export { cases } from "./cases";
export { spooledBodies } from "./spooled-bodies";
