// The embed page: the player alone.
import { mountPlayer, readConfig } from "/assets/player.js";

mountPlayer(document.getElementById("video"), readConfig());
