// Channel and account pages: the subscribe button.
import { wireSubscribe } from "/assets/app.js";

wireSubscribe();
